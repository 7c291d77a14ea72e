"""A user's own project: the built collection installed, used only by FQCN.

Builds the tarball, installs it into a throwaway project's collections path,
gives the project its own inventory and group_vars, converges a Debian 12
container with roles, module and playbook by FQCN, and gets the page on 81.
"""

import glob
import os
import re
import subprocess
import textwrap
import time

import pytest

from conftest import ROOT

IMAGE = "flaskstack/debian:12"
# Each test's own server, so that the two can run side by side.
CONTAINERS = {
    "test_installed_collection_serves_the_site_by_fqcn": "flaskstack-consumer",
    "test_check_mode_on_a_bare_server_says_what_it_would_do_and_changes_nothing": "flaskstack-consumer-bare",
}

PLAYBOOK = """\
---
- name: Shop site, composed from the collection's roles
  hosts: webservers
  become: true
  roles:
    - flaskstack.deploy.python
    - flaskstack.deploy.app
    - flaskstack.deploy.gunicorn
    - flaskstack.deploy.processes
    - flaskstack.deploy.nginx
  tasks:
    - name: The live release answers its health path, or the previous one comes back
      ansible.builtin.include_role:
        name: flaskstack.deploy.app
        tasks_from: rollout

    - name: A second gunicorn config is written by the module alone
      flaskstack.deploy.gunicorn_config:
        path: /etc/flaskstack/shop/extra.conf.py
        owner: root
        group: root
        mode: "0644"
        gunicorn: /srv/flaskstack/shop/venv
        validate: true
        settings:
          bind: 127.0.0.1:8123
          workers: auto
"""

# flaskstack_process_manager is left to its default, as the shipped inventory
# leaves it: the playbooks must not need it set.
GROUP_VARS = """\
---
flaskstack_app_name: shop
gunicorn_workers: 2
gunicorn_settings:
  forwarded_allow_ips: 127.0.0.1
nginx_listen_port: 81
# The first install updates the package lists whatever their age (the image's
# may be minutes old), so that apt-get update meets the held lists lock too.
python_apt_cache_valid_time: 0
"""


def run(argv, cwd, env=None, timeout=900):
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout


def changed_count(output):
    match = re.search(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output[-3000:]
    assert match.group(3) == "0", output[-3000:]
    return int(match.group(1))


@pytest.fixture()
def container(request):
    """A fresh Debian 12 server, a container of each test's own."""
    name = CONTAINERS[request.node.originalname]
    subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    rc, out = run(["docker", "run", "-d", "--name", name, "--hostname", name,
                   "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns", "host",
                   "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
                   IMAGE, "/lib/systemd/systemd"], cwd=ROOT)
    assert rc == 0, out
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"],
                               stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(1)
    yield name
    subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, check=False)


@pytest.fixture()
def project(tmp_path, container):
    build = tmp_path / "build"
    rc, out = run(["ansible-galaxy", "collection", "build", "--output-path", str(build), ROOT], cwd=str(tmp_path))
    assert rc == 0, out
    tarball = glob.glob(str(build / "flaskstack-deploy-*.tar.gz"))
    assert len(tarball) == 1, out
    project = tmp_path / "shop-infra"
    (project / "inventory" / "group_vars").mkdir(parents=True)
    rc, out = run(["ansible-galaxy", "collection", "install", tarball[0], "-p", str(project / "collections")],
                  cwd=str(project))
    assert rc == 0, out
    (project / "ansible.cfg").write_text(textwrap.dedent("""\
        [defaults]
        collections_path = ./collections
        interpreter_python = auto_silent
        """))
    (project / "inventory" / "hosts.yml").write_text(textwrap.dedent("""\
        ---
        all:
          children:
            webservers:
              hosts:
                %s:
                  ansible_connection: community.docker.docker
        """ % container))
    (project / "inventory" / "group_vars" / "webservers.yml").write_text(GROUP_VARS)
    (project / "site.yml").write_text(PLAYBOOK)
    return project


def consumer_env(project):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_CONFIG=str(project / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return env


def host_has(container, *argv):
    return subprocess.run(["docker", "exec", container] + list(argv), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0


BARE_SECRETS = ("bare-db-s3cret", "bare-redis-s3cret")


def test_check_mode_on_a_bare_server_says_what_it_would_do_and_changes_nothing(project, container):
    """A user's first look, before any real run: the Debian image has no nginx, no
    python3-apt (which apt's own check mode needs), no app user, group or unit; nor
    PostgreSQL or Redis, which the same server is to run for the app."""
    hosts = project / "inventory" / "hosts.yml"
    hosts.write_text(hosts.read_text() + "    dbservers:\n      hosts:\n        %s:\n"
                     "    redisservers:\n      hosts:\n        %s:\n" % (container, container))
    group_vars = project / "inventory" / "group_vars" / "webservers.yml"
    group_vars.write_text(group_vars.read_text() + textwrap.dedent("""\
        flaskstack_app_database: true
        flaskstack_app_database_password: %s
        flaskstack_app_redis: true
        flaskstack_app_redis_password: %s
        """ % (BARE_SECRETS[0], BARE_SECRETS[1])))
    rc, out = run(["ansible-playbook", "-i", "inventory", "flaskstack.deploy.site", "--check", "--diff"],
                  cwd=str(project), env=consumer_env(project))
    assert rc == 0, out[-4000:]
    assert changed_count(out) > 0, out[-4000:]
    for planned in ("+nginx: installed", "+python3-packaging: installed\n+python3-venv: installed",  # sorted
                    "would add www-data to the group shop", "+++ after: /etc/systemd/system/flaskstack-shop.service",
                    "+postgresql: installed\n+python3-psycopg2: installed", "+redis-server: installed",
                    "+++ after: /etc/systemd/system/flaskstack-db-backup.timer"):
        assert planned in out, "%r is not in the check run's output:\n%s" % (planned, out[-4000:])
    assert not any(secret in out for secret in BARE_SECRETS), "the check run printed a password"
    assert not host_has(container, "dpkg-query", "--show", "postgresql"), "the check run installed PostgreSQL"
    assert not host_has(container, "test", "-e", "/usr/local/sbin/flaskstack-db"), "the check run wrote flaskstack-db"
    assert not host_has(container, "python3", "-c", "import apt"), "the image must lack python3-apt for this test"
    assert not host_has(container, "dpkg-query", "--show", "nginx"), "the check run installed nginx"
    assert not host_has(container, "id", "shop"), "the check run made the app user"
    for path in ("/srv/flaskstack", "/etc/flaskstack", "/etc/systemd/system/flaskstack-shop.service"):
        assert not host_has(container, "test", "-e", path), "the check run wrote %s" % path


# Holds apt's locks the way apt takes them (fcntl: dpkg's two and the package
# lists') for HOLD seconds, about as long as cloud-init or unattended-upgrades
# hold them on a fresh cloud server, then prints when it let go.
HOLD = 180
LOCK_HOLDER = """\
import fcntl, sys, time
locks = [open(path, "w") for path in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock", "/var/lib/apt/lists/lock")]
for lock in locks:
    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
time.sleep(float(sys.argv[1]))
print("released %.3f" % time.time(), flush=True)
"""


def test_installed_collection_serves_the_site_by_fqcn(project, container):
    env = consumer_env(project)
    # The first converge starts while apt's locks are held: its first package
    # install (the python role's, some 10-20 s into the run), which updates the
    # lists first (python_apt_cache_valid_time: 0) and so meets the lists lock
    # as well as dpkg's, must wait for them, well past apt's own 60 s, instead
    # of failing (flaskstack_apt_lock_timeout).
    holder = subprocess.Popen(["docker", "exec", "-i", container, "python3", "-", str(HOLD)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
    holder.stdin.write(LOCK_HOLDER)
    holder.stdin.close()
    assert holder.stdout.readline().strip() == "held"

    installed = project / "collections" / "ansible_collections" / "flaskstack" / "deploy"
    assert (installed / "MANIFEST.json").is_file()
    assert not (installed / "molecule").exists(), "test-only trees belong in build_ignore"

    started = time.time()
    rc, out = run(["ansible-playbook", "-i", "inventory", "site.yml"], cwd=str(project), env=env)
    assert rc == 0, out[-4000:]
    assert changed_count(out) > 0
    released = float(holder.stdout.read().split()[-1])
    assert holder.wait() == 0
    assert released - started > HOLD - 5, "the converge started too late to meet the held lock"
    # dpkg's log: this run installed packages, and none while the lock was held
    # (the image's own installs are older than the run).
    stamps = subprocess.run(["docker", "exec", container, "sh", "-c",
                             "grep ' install ' /var/log/dpkg.log | cut -d' ' -f1,2 | "
                             "while read -r stamp; do date -d \"$stamp\" +%s; done"],
                            stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.split()
    during = [int(stamp) for stamp in stamps if int(stamp) >= int(started)]
    assert during, "dpkg's log shows no install by the converge"
    assert min(during) >= int(released), (
        "dpkg installed at %d, before the lock was let go at %d" % (min(during), released))

    page = subprocess.run(["docker", "exec", container, "curl", "-sS", "--max-time", "10", "http://localhost:81/"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert page.stdout == "Hello World!\n", page.stdout
    active = subprocess.run(["docker", "exec", container, "systemctl", "is-active", "flaskstack-shop"],
                            stdout=subprocess.PIPE, universal_newlines=True, check=False)
    assert active.stdout.strip() == "active"
    extra = subprocess.run(["docker", "exec", container, "cat", "/etc/flaskstack/shop/extra.conf.py"],
                           stdout=subprocess.PIPE, universal_newlines=True, check=False)
    assert "bind = ['127.0.0.1:8123']" in extra.stdout

    # The collection's own playbook, by FQCN, finds nothing left to do.
    rc, out = run(["ansible-playbook", "-i", "inventory", "flaskstack.deploy.site"], cwd=str(project), env=env)
    assert rc == 0, out[-4000:]
    assert changed_count(out) == 0, out[-4000:]
