"""Releases: a deploy under load drops nothing, a broken or unhealthy release
never stays live, and the rollback playbook returns to the previous release.
Every deploy has a release phase (app_release_commands) that notes, in the
app's data directory, the release it ran in, as whom and with which flask; a
release phase that fails switches nothing. Where the demo app has queue
workers (app_processes: the default and supervisor scenarios), every deploy
and rollback takes them to the live release (a job's result names the release
that ran it), and a release on which they do not stay up is rolled back.
Each release has a virtualenv of its own, shared with the releases that ask
the same packages: a new requirement builds one and restarts gunicorn (under
systemd, which holds the socket, dropping nothing, as for a changed unit),
and the rollback playbook brings the old packages back.

Versions of the demo app are written on the controller and deployed with
app_source=local, under each process manager and with gunicorn 23 and 27. The
demo app is not restored at the end: only test_app_sources.py comes after this
module (conftest.py, MODULE_ORDER), and it deploys code of its own.
"""

import json
import os
import shutil

import pytest

from conftest import LoadLoop, only_in_scenarios, recap, run_playbook

DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles", "app", "files", "demo")
ROOT = "/srv/flaskstack/demo"
SHADOW_HASH = "$y$j9T$PaSsWoRdHaSh0123456789"
# The release phase of every deploy here, and where it leaves its note.
PHASE = 'echo "$(basename "$PWD") $(id -un) $(command -v flask)" >> "$STATE_DIRECTORY/release-phase.log"'
PHASE_LOG = "/var/lib/flaskstack/demo/release-phase.log"
# What the "packaged" version asks for besides the demo's requirements.
EXTRA_REQUIREMENT = "six==1.16.0"
# The scenarios whose demo app has queue workers (app_processes in molecule.yml).
WORKERS = os.environ.get("MOLECULE_SCENARIO_NAME") in ("default", "supervisor")


@pytest.fixture(scope="module", autouse=True)
def releases_scenarios():
    only_in_scenarios("default", "supervisor", "debian11",
                      why="each process manager, and gunicorn 23 (Debian 11) beside 27, reload a release; "
                          "Debian 13 runs the same gunicorn 27 as the default scenario")


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """Directories on the controller, each one version of the app."""
    made = {}

    def make(name, change=None):
        path = tmp_path_factory.mktemp(name)
        for filename in ("app.py", "requirements.txt"):
            shutil.copy(os.path.join(DEMO_DIR, filename), str(path))
        app_py = path / "app.py"
        source = app_py.read_text() + "\n# version %s\n" % name
        if change:
            source = change(source)
        app_py.write_text(source)
        made[name] = str(path)
        return str(path)

    make("v1")
    # Writes into /tmp when it is imported, as some apps do on a first start:
    # under systemd, the import check and the workers have a private /tmp.
    make("v2", lambda source: source + "\nopen('/tmp/flaskstack-import-probe', 'w').close()\n")
    make("broken", lambda source: source + "\nraise RuntimeError('this release is broken on purpose')\n")
    make("unhealthy", lambda source: source.replace('return "ok\\n"', 'return "sick\\n", 503'))
    # Serves and is healthy, but its worker cannot start: app.huey is no queue.
    make("workerless", lambda source: source + "\nhuey = None\n")
    # One more requirement than the others: a virtualenv of its own.
    packaged = make("packaged")
    with open(os.path.join(packaged, "requirements.txt"), "a") as handle:
        handle.write("%s\n" % EXTRA_REQUIREMENT)
    # A requirements file that is really a file of secrets (a link in the
    # code, a wrong path): pip quotes the line it cannot read.
    leaky = make("leaky")
    with open(os.path.join(leaky, "requirements.txt"), "w") as handle:
        handle.write("root:%s:19000:0:99999:7:::\n" % SHADOW_HASH)
    return made


def deploy(path, *extra):
    return run_playbook("-e", "app_source=local", "-e", "app_local_path=%s" % path,
                        "-e", "app_health_path=/healthz", "-e", json.dumps({"app_release_commands": [PHASE]}), *extra)


def phase_notes(host):
    """The release phase's notes, one line per run: release, user, flask."""
    log = host.file(PHASE_LOG)
    return log.content_string.splitlines() if log.exists else []


def live_release(host):
    return os.path.basename(host.file(ROOT + "/current").linked_to)


def live_venv(host):
    return host.file(ROOT + "/venv").linked_to


def master_python(site):
    """The interpreter the gunicorn master runs (its command line's first word): its virtualenv's."""
    (pid, _ppid, _user, _args), = site.gunicorn_masters()
    return site.host.check_output("tr '\\0' ' ' < /proc/%d/cmdline" % pid).split()[0]


def imports_extra(host):
    """Whether the app, run as the service runs it, imports the extra requirement."""
    return host.run("flaskstack demo run -- python -c 'import six'").rc == 0


def test_deploy_under_load_drops_no_request(host, site, versions, process_manager):
    # From the release the scenario converged (the demo app) to v2.
    v1 = live_release(host)
    assert site.demo()["release"] == v1
    notes = phase_notes(host)
    job = site.job() if WORKERS else {}
    assert job.get("release", v1) == v1 and job.get("user", "demo") == "demo", job
    # Bounded, and well above a deploy (1 to 2 min here), so it spans the whole deploy.
    load = LoadLoop(host, "http://127.0.0.1:81/demo", name="deploy", max_seconds=300)
    rc, output = deploy(versions["v2"])
    stats = load.stop(linger=3)
    assert rc == 0, output[-3000:]
    v2 = live_release(host)
    assert v2 != v1
    assert stats["failed"] == 0, stats["errors"]
    assert stats["sent"] > 50
    # Both releases answered during the run, and the new one at the end.
    assert stats["releases"].get(v1) and stats["releases"].get(v2)
    assert stats["last_release"] == v2
    # The release phase ran once, in the new release, as the app user, with
    # the flask of the release's own virtualenv.
    assert phase_notes(host) == notes + ["%s demo %s/releases/%s/.flaskstack-venv/bin/flask" % (v2, ROOT, v2)]
    assert host.file(PHASE_LOG).user == "demo"
    # The import check ran in the service's sandbox (under systemd): what the
    # release wrote to /tmp at import stayed in its private /tmp.
    if process_manager == "systemd":
        assert not host.file("/tmp/flaskstack-import-probe").exists
    # The workers were stopped and started again on the new release.
    if WORKERS:
        after = site.job()
        assert after["release"] == v2 and after["user"] == "demo", after
        assert after["pid"] != job["pid"], "the worker was not restarted: %s" % after


def test_release_layout(host):
    current = host.file(ROOT + "/current")
    assert current.is_symlink
    assert current.linked_to.startswith(ROOT + "/releases/")
    release = host.file(current.linked_to)
    assert release.user == "root" and release.group == "demo"
    assert host.file(ROOT + "/previous").is_symlink
    assert host.file(ROOT + "/previous").linked_to != current.linked_to


def test_unchanged_code_is_no_new_release(host, versions):
    before = host.check_output("ls %s/releases", ROOT)
    notes = phase_notes(host)
    rc, output = deploy(versions["v2"])
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0
    assert host.check_output("ls %s/releases", ROOT) == before
    # Nothing switches: no release phase.
    assert phase_notes(host) == notes


def test_release_that_fails_to_import_never_goes_live(host, site, versions):
    before = live_release(host)
    master = [row[0] for row in site.gunicorn_masters()]
    notes = phase_notes(host)
    rc, output = deploy(versions["broken"])
    assert rc != 0
    assert "fails to load" in output and "broken on purpose" in output, output[-3000:]
    assert phase_notes(host) == notes, "the release phase ran for a release that does not load"
    assert "The live release is unchanged" in output
    assert live_release(host) == before
    assert site.demo()["release"] == before
    assert [row[0] for row in site.gunicorn_masters()] == master
    assert not host.run("ls -A %s/releases | grep -v '^%s$' | grep '^\\.build'", ROOT, before).stdout


def test_pip_failure_names_what_failed_and_prints_no_line_of_the_file(host, site, versions):
    only_in_scenarios("default", why="the app role's own handling of pip's output, the same everywhere")
    before = live_release(host)
    rc, output = deploy(versions["leaky"])
    assert rc != 0
    assert "pip failed (exit" in output and "Invalid requirement" in output, output[-3000:]
    assert "The live release is unchanged" in output
    assert "PaSsWoRdHaSh" not in output, output[-3000:]
    assert live_release(host) == before
    assert not host.run("ls -A %s/releases | grep '^\\.build'", ROOT).stdout, "the failed build was left behind"
    assert site.demo()["release"] == before


def test_unhealthy_release_is_rolled_back(host, site, versions):
    before = live_release(host)
    masters = [row[0] for row in site.gunicorn_masters()]
    # The release answers 503 from its first second: waiting out the default
    # 30 s would prove nothing more. 10 s still leaves the workers time to boot.
    rc, output = deploy(versions["unhealthy"], "-e", "app_health_timeout=10")
    assert rc != 0
    assert "is not healthy" in output and ("Rolled back to release %s" % before) in output, output[-3000:]
    assert live_release(host) == before
    # Back by a graceful reload: the same master (it once crashed on the failed
    # release's directory, removed under it, and was restarted).
    assert [row[0] for row in site.gunicorn_masters()] == masters
    assert site.demo()["release"] == before
    status, _body = site.get("/healthz")
    assert status == 200
    if WORKERS:
        assert site.job()["release"] == before


def test_a_release_whose_worker_does_not_stay_up_is_rolled_back(host, site, versions):
    only_in_scenarios("default", "supervisor", why="the scenarios whose demo app has queue workers")
    before = live_release(host)
    rc, output = deploy(versions["workerless"], "-e", "app_health_timeout=10")
    assert rc != 0
    assert "is not healthy" in output and "not up after 10 s: flaskstack-demo.worker" in output, output[-3000:]
    assert ("Rolled back to release %s, which is live again and healthy" % before) in output, output[-3000:]
    assert live_release(host) == before
    assert site.demo()["release"] == before
    # The workers run the release it returned to.
    assert site.job()["release"] == before


def test_a_failing_release_command_switches_nothing(host, site, versions):
    only_in_scenarios("default", why="the release phase is the app role's own, the same under every process manager")
    before = live_release(host)
    masters = [row[0] for row in site.gunicorn_masters()]
    secret = host.ansible.get_variables()["app_environment"]["SECRET_KEY"]
    failing = "echo migrating with $SECRET_KEY; exit 3"
    rc, output = deploy(versions["v1"], "-e", json.dumps({"app_release_commands": [PHASE, failing]}))
    assert rc != 0
    assert "release command `%s` failed (exit 3)" % failing in output, output[-3000:]
    # The end of its output is shown, the environment's values masked.
    assert "migrating with ********" in output and secret not in output, output[-3000:]
    assert "The live release is unchanged on every server" in output
    assert live_release(host) == before
    assert [row[0] for row in site.gunicorn_masters()] == masters
    assert site.demo()["release"] == before


def test_a_changed_unit_restarts_the_app_with_no_request_dropped(host, site, versions, process_manager):
    only_in_scenarios("default", "debian11",
                      why="systemd holds the socket while the service restarts (systemd 252 and 247); supervisor "
                          "cannot, and says so")
    masters = [row[0] for row in site.gunicorn_masters()]
    load = LoadLoop(host, "http://127.0.0.1:81/demo", name="unit", max_seconds=300)
    # The same code, and the unit gets a variable it did not have.
    rc, output = deploy(versions["v2"], "-e", json.dumps({"processes_systemd_settings": {
        "Environment": "FLASKSTACK_UNIT_PROBE=1"}}))
    stats = load.stop(linger=3)
    assert rc == 0, output[-3000:]
    assert "App service restarts because its unit" in output and "changed: [" in output.split(
        "App service restarts because its unit")[1].split("TASK")[0], "the service did not restart"
    assert [row[0] for row in site.gunicorn_masters()] != masters, "the master was not replaced"
    assert stats["failed"] == 0, stats["errors"]
    assert stats["sent"] > 50
    assert host.service("flaskstack-demo.socket").is_running


def test_a_new_requirement_gets_a_virtualenv_of_its_own_and_a_restart(host, site, versions, process_manager):
    only_in_scenarios("default", "supervisor", why="a restart under each process manager; Debian 11's systemd "
                                                   "restart for a changed unit is tested above")
    before_venv, before_release = live_venv(host), live_release(host)
    assert not imports_extra(host)
    masters = [row[0] for row in site.gunicorn_masters()]
    load = LoadLoop(host, "http://127.0.0.1:81/demo", name="requirement", max_seconds=300)
    rc, output = deploy(versions["packaged"])
    stats = load.stop(linger=3)
    assert rc == 0, output[-3000:]
    packaged = live_release(host)
    assert packaged != before_release
    # Built beside the one before, which stays for the previous release.
    assert live_venv(host) != before_venv and host.file(before_venv).is_directory
    assert host.file("%s/releases/%s/.flaskstack-venv" % (ROOT, packaged)).linked_to == live_venv(host)
    assert host.file("%s/releases/%s/.flaskstack-venv" % (ROOT, before_release)).linked_to == before_venv
    assert imports_extra(host)
    # A new master, on the new virtualenv's Python: a reload would have kept the old packages.
    assert [row[0] for row in site.gunicorn_masters()] != masters
    assert master_python(site) == live_venv(host) + "/bin/python3"
    assert site.demo()["release"] == packaged
    if process_manager == "systemd":
        # systemd held the socket while gunicorn restarted.
        assert stats["failed"] == 0, stats["errors"]
    else:
        # supervisor cannot: what the restart cost is printed, not hidden.
        print("supervisor restart for a new virtualenv: %d of %d requests failed" % (stats["failed"], stats["sent"]))


def test_rollback_brings_back_the_packages(host, site):
    only_in_scenarios("default", "supervisor", why="after the deploy above, under each process manager")
    project = os.environ.get("MOLECULE_PROJECT_DIRECTORY")
    rollback = os.path.join(project, "playbooks", "rollback.yml")
    packaged, packaged_venv = live_release(host), live_venv(host)
    assert imports_extra(host)
    rc, output = run_playbook("-e", "app_health_path=/healthz", playbook=rollback)
    assert rc == 0, output[-3000:]
    back = live_release(host)
    assert back != packaged and live_venv(host) != packaged_venv
    assert live_venv(host) == host.file("%s/releases/%s/.flaskstack-venv" % (ROOT, back)).linked_to
    site.wait_for(lambda: site.demo()["release"] == back, timeout=30, what="the previous release to answer")
    # The packages of the release it returned to: the extra one is gone, for
    # the app and for the gunicorn master, which restarted on that virtualenv.
    assert not imports_extra(host)
    assert master_python(site) == live_venv(host) + "/bin/python3"
    # And forward again.
    rc, output = run_playbook("-e", "app_health_path=/healthz", playbook=rollback)
    assert rc == 0, output[-3000:]
    assert (live_release(host), live_venv(host)) == (packaged, packaged_venv)
    site.wait_for(lambda: site.demo()["release"] == packaged, timeout=30, what="the release to come back")
    assert imports_extra(host)


def test_rollback_playbook_returns_and_returns_again(host, site):
    project = os.environ.get("MOLECULE_PROJECT_DIRECTORY")
    rollback = os.path.join(project, "playbooks", "rollback.yml")
    before = live_release(host)
    rc, output = run_playbook("-e", "app_health_path=/healthz", playbook=rollback)
    assert rc == 0, output[-3000:]
    after = live_release(host)
    assert after != before
    site.wait_for(lambda: site.demo()["release"] == after, timeout=30, what="the previous release to answer")
    if WORKERS:
        assert site.job()["release"] == after
    rc, output = run_playbook("-e", "app_health_path=/healthz", playbook=rollback)
    assert rc == 0, output[-3000:]
    assert live_release(host) == before
    site.wait_for(lambda: site.demo()["release"] == before, timeout=30, what="the release to come back")


def test_old_releases_are_pruned(host, site, versions, tmp_path):
    only_in_scenarios("default", why="pruning is the app role's own file work, the same under every process manager "
                                     "and gunicorn; more deploys here would only add minutes")
    # The earlier checks left at least two releases; one more deploy with
    # app_keep_releases=2 (the least allowed) must prune down to the live one
    # and the one before it.
    before = host.check_output("ls %s/releases", ROOT).split()
    assert len(before) >= 2, before
    path = tmp_path / "extra"
    shutil.copytree(versions["v1"], str(path))
    (path / "app.py").write_text((path / "app.py").read_text() + "\n# extra\n")
    previous = live_release(host)
    # The same deploy takes the scenario's queue workers from two to one: the second goes.
    workers = host.ansible.get_variables()["app_processes"]
    rc, output = deploy(str(path), "-e", "app_keep_releases=2",
                        "-e", json.dumps({"app_processes": [dict(workers[0], count=1)]}))
    assert rc == 0, output[-3000:]
    assert host.run("systemctl is-enabled %s.worker@2", "flaskstack-demo").stdout.strip() != "enabled"
    assert host.run("systemctl is-active %s.worker@2", "flaskstack-demo").stdout.strip() == "inactive"
    assert site.job()["release"] == live_release(host)
    releases = host.check_output("ls %s/releases", ROOT).split()
    assert sorted(releases) == sorted([live_release(host), previous]), releases
    assert live_release(host) not in before
    assert os.path.basename(host.file(ROOT + "/previous").linked_to) == previous
    # The virtualenvs went with the releases that linked to them.
    venvs = sorted("%s/venvs/%s" % (ROOT, name) for name in host.check_output("ls %s/venvs", ROOT).split())
    linked = sorted({host.file("%s/releases/%s/.flaskstack-venv" % (ROOT, name)).linked_to for name in releases})
    assert venvs == linked, venvs
