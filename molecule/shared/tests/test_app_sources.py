"""The app's code from each source the app role knows (local, git and pip),
each served by another of gunicorn's worker classes (gthread, gevent, sync).

Each converge switches the source and the worker class together: a converge
is the expensive part, and neither depends on the other. Then the page nginx
serves must come from that code, and the workers that answer must be of that
class (the gevent run also shows that the python role installed gevent: the
"gevent worker without gevent" pitfall). Debian 11 and 13 only; the pip
source and sync on Debian 11 only (on Debian 13, test_real_app.py deploys a
real package from PyPI and takes the demo app back to sync). Checks run in
file order, each worker-class check right after the converge that set its
class; the last one is sync, the scenarios' own class. Another worker class
brings other packages, so another virtualenv and a new master on it (a
reload when the packages stay). The demo app is not
restored after it: only test_real_app.py comes later (conftest.py,
MODULE_ORDER), and it deploys the scenario's demo app again.
"""

import base64
import hashlib
import io
import json
import subprocess
import zipfile

import pytest

from conftest import gunicorn_config, only_in_scenarios, recap, run_playbook

APP_TEMPLATE = '''import sys

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from the %s source\\n"


@app.get("/healthz")
def healthz():
    return "ok\\n"


@app.get("/workers")
def workers():
    # What the worker serving this request runs: gunicorn marks gthread and
    # the async gevent worker multithreaded; only gevent patches sockets.
    monkey = sys.modules.get("gevent.monkey")
    return jsonify(
        server_software=request.environ.get("SERVER_SOFTWARE", ""),
        multithread=bool(request.environ.get("wsgi.multithread")),
        green_threads=bool(monkey and monkey.is_module_patched("socket")),
    )
'''
# (wsgi.multithread, gevent-patched sockets) each worker class must show.
WORKER_CLASSES = {"sync": (False, False), "gthread": (True, False), "gevent": (True, True)}
# The live virtualenv's link: another worker class brings other packages, so another virtualenv.
VENV = "/srv/flaskstack/demo/venv"


@pytest.fixture(scope="module", autouse=True)
def oldest_and_newest_debian():
    only_in_scenarios("debian11", "debian13",
                      why="code sources and worker classes on the oldest and the newest Debian (Python 3.9 and "
                          "3.13, gunicorn 23 and 27; Debian 12 runs the same gunicorn as 13); the process manager "
                          "changes neither how code is deployed nor what gunicorn accepts")


def converge_and_get(site, worker_class, *extra):
    """Converges with the source in extra and worker_class; returns the page served."""
    extra += ("-e", "flaskstack_worker_class=%s" % worker_class)
    if worker_class == "gthread":
        extra += ("-e", "gunicorn_threads=4")
    masters_before = [row[0] for row in site.gunicorn_masters()]
    venv_before = site.host.file(VENV).linked_to
    rc, output = run_playbook(*extra)
    assert rc == 0, output[-3000:]
    assert recap(output)["failed"] == 0
    answers = []

    def serves_new_code():
        status, body = site.get("/")
        answers.append(body)
        return status == 200 and "source" in body

    site.wait_for(serves_new_code, timeout=30, what="the new code to be served")
    masters = site.gunicorn_masters()
    if site.host.file(VENV).linked_to == venv_before:
        # New code on the same packages arrives by graceful reload: the same master, never a crash.
        assert [row[0] for row in masters] == masters_before
    else:
        # Other packages (another worker class's, other requirements): a new
        # master, started on the new virtualenv, and one only.
        assert len(masters) == 1 and [row[0] for row in masters] != masters_before, masters
        assert site.host.check_output("tr '\\0' ' ' < /proc/%d/cmdline" % masters[0][0]).split()[0] == (
            site.host.file(VENV).linked_to + "/bin/python3")
    return answers[-1]


def check_worker_class(host, site, worker_class):
    """The config names worker_class and only workers of that class answer through nginx."""
    config = host.file(gunicorn_config(host)[0]).content_string
    assert "worker_class = %r" % worker_class in config
    expected = WORKER_CLASSES[worker_class]

    def workers_run_it():
        # Several requests, so old workers still finishing would show up. A
        # failed request while workers are swapped counts as "not yet": a
        # reload without a single dropped request is a deploy-time promise
        # with its own load test, not what this check is about.
        seen = set()
        for _attempt in range(10):
            status, body = site.get("/workers")
            if status != 200:
                return False
            answer = json.loads(body)
            seen.add((answer["multithread"], answer["green_threads"]))
        return seen == {expected}

    site.wait_for(workers_run_it, timeout=40, what="workers of class %s" % worker_class)
    for _attempt in range(5):
        status, body = site.get("/")
        assert status == 200, body
    status, body = site.get("/workers")
    assert status == 200 and json.loads(body)["server_software"].startswith("gunicorn/"), body


def test_local_directory_source(site, tmp_path):
    (tmp_path / "app.py").write_text(APP_TEMPLATE % "local")
    (tmp_path / "requirements.txt").write_text("Flask>=3.1,<4\n")
    body = converge_and_get(site, "gthread", "-e", "app_source=local", "-e", "app_local_path=%s" % tmp_path)
    assert body == "Hello from the local source\n"


def test_gthread_worker_class_serves_through_nginx(host, site):
    check_worker_class(host, site, "gthread")


def test_git_repository_source(host, site, tmp_path):
    repo = tmp_path / "site-repo"
    repo.mkdir()
    (repo / "app.py").write_text(APP_TEMPLATE % "git")
    (repo / "requirements.txt").write_text("Flask>=3.1,<4\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "site"], check=True)
    # The repository reaches the server as a path there, like any clone URL.
    result = host.ansible("ansible.builtin.copy", "src=%s/ dest=/srv/site-repo/ mode=preserve" % repo, check=False)
    assert not result.get("failed"), result
    body = converge_and_get(site, "gevent", "-e", "app_source=git", "-e", "app_git_repo=/srv/site-repo",
                            "-e", "app_git_version=main")
    assert body == "Hello from the git source\n"
    # The release is named after the commit and holds its files, not a checkout.
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, stdout=subprocess.PIPE,
                            universal_newlines=True).stdout.strip()
    assert host.file("/srv/flaskstack/demo/current").linked_to == "/srv/flaskstack/demo/releases/" + commit[:12]
    assert host.file("/srv/flaskstack/demo/current/app.py").exists
    assert not host.file("/srv/flaskstack/demo/current/.git").exists


def test_gevent_worker_class_serves_through_nginx(host, site):
    check_worker_class(host, site, "gevent")


def build_wheel(directory, name, version, module_source):
    """A minimal pure-Python wheel, as `pip wheel` would make for one module."""
    dist = "%s-%s.dist-info" % (name, version)
    files = {
        "%s.py" % name: module_source,
        "%s/METADATA" % dist: "Metadata-Version: 2.1\nName: %s\nVersion: %s\nRequires-Dist: Flask>=3.1,<4\n" % (name, version),
        "%s/WHEEL" % dist: "Wheel-Version: 1.0\nGenerator: flaskstack-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for path, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
            wheel.writestr(path, data)
        record.append("%s/RECORD,," % dist)
        wheel.writestr("%s/RECORD" % dist, "\n".join(record) + "\n")
    path = directory / ("%s-%s-py3-none-any.whl" % (name, version))
    path.write_bytes(buffer.getvalue())
    return path


def test_pip_package_source(host, site, tmp_path):
    only_in_scenarios("debian11", why="on Debian 13, test_real_app.py deploys a real package from PyPI")
    wheel = build_wheel(tmp_path, "flaskstack_pkgsite", "1.0", APP_TEMPLATE % "pip")
    result = host.ansible("ansible.builtin.copy", "src=%s dest=/srv/%s mode=0644" % (wheel, wheel.name), check=False)
    assert not result.get("failed"), result
    body = converge_and_get(site, "sync", "-e", "app_source=pip", "-e", "app_pip_spec=/srv/%s" % wheel.name,
                            "-e", "flaskstack_app_wsgi=flaskstack_pkgsite:app")
    assert body == "Hello from the pip source\n"
    # The package and its dependencies are in the release, not the shared virtualenv.
    assert host.file("/srv/flaskstack/demo/current/flaskstack_pkgsite.py").exists
    assert host.run("/srv/flaskstack/demo/venv/bin/pip show flaskstack_pkgsite").rc != 0


def test_sync_worker_class_serves_through_nginx(host, site):
    only_in_scenarios("debian11", why="it follows the pip source's converge; on Debian 13 the real app's first "
                                      "deploy takes the demo app back to sync")
    check_worker_class(host, site, "sync")
