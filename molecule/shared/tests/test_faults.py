"""Faults that must not take the site down. Each test breaks something the way
it breaks in production, then measures, from inside the container, how long
until the site answers again; the figures are printed ("recovery: ...")."""

import json
import os
import time

import pytest

from conftest import APP, SERVICE, LoadLoop, only_in_scenarios, restart_container, run_playbook, write_file

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "?")
PIDFILE = "/run/flaskstack-%s/gunicorn.pid" % APP
# The scenarios whose demo app has queue workers (app_processes): two under systemd, one under supervisor.
WORKER_SCENARIOS = ("default", "supervisor")
# Seconds of sustained load: long enough that max_requests replaces every
# worker several times (the "memory:" figure counts them).
SUSTAINED_SECONDS = 10
# Runs inside the container: waits until the site answers through nginx and
# the given condition holds, prints the seconds since START, then sends
# REQUESTS more requests and prints how many failed.
WAITER = r'''
import subprocess, sys, time, urllib.request
start, mode, old, requests = float(sys.argv[1]), sys.argv[2], set(sys.argv[3].split(",")), int(sys.argv[4])
def ok():
    try:
        return urllib.request.urlopen("http://localhost:81/healthz", timeout=2).status == 200
    except Exception:
        return False
def master():
    try:
        return open("%(pidfile)s").read().strip()
    except OSError:
        return ""
def workers():
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", master() or "0"], stdout=subprocess.PIPE, universal_newlines=True)
    return set(out.stdout.split())
def ready():
    if mode == "master":
        return master() not in old | {""}
    now = workers()
    return len(now) >= int(sys.argv[5]) and not now & old
while time.time() - start < 60:
    if ready() and ok():
        break
    time.sleep(0.05)
else:
    print("timeout"); sys.exit(1)
print("%%.2f" %% (time.time() - start))
print(sum(1 for _ in range(requests) if not ok()))
''' % {"pidfile": PIDFILE}


@pytest.fixture(scope="module", autouse=True)
def faults_scenarios(host):
    only_in_scenarios("default", "supervisor",
                      why="each process manager recovers on its own; the platforms do not change how, "
                          "and the suite must stay fast")
    write_file(host, "/tmp/flaskstack-waiter.py", WAITER)


def recover(host, action, mode, old, requests=0, count=0):
    """Runs action (shell) in the container, then waits for the site; returns (seconds, failed requests after)."""
    cmd = host.run("start=$(date +%%s.%%N); %s; python3 /tmp/flaskstack-waiter.py $start %s %s %d %d" % (
        action, mode, ",".join(old), requests, count))
    assert cmd.rc == 0, "the site did not come back: %s %s" % (cmd.stdout, cmd.stderr)
    seconds, failed = cmd.stdout.split()
    return float(seconds), int(failed)


def test_master_killed_with_sigkill_serves_again_within_10_s(host, site, process_manager):
    master = host.file(PIDFILE).content_string.strip()
    seconds, failed = recover(host, "kill -KILL %s" % master, "master", [master], requests=50)
    print("recovery: %s master SIGKILL (%s) -> serving again in %.2f s, then %d of 50 requests failed" % (
        SCENARIO, process_manager, seconds, failed))
    assert seconds <= 10
    assert failed == 0
    # Under supervisor the old workers outlive their master for a moment: each
    # notices its new parent and exits (within timeout / 2).
    site.wait_for(lambda: len(site.gunicorn_masters()) == 1, timeout=30, what="one gunicorn master")


def test_all_workers_killed_are_respawned_without_failed_requests(host, process_manager):
    master = host.file(PIDFILE).content_string.strip()
    workers = host.check_output("ps -o pid= --ppid %s", master).split()
    assert workers
    seconds, failed = recover(host, "kill -KILL %s" % " ".join(workers), "workers", workers,
                              requests=200, count=len(workers))
    print("recovery: %s all %d workers SIGKILL (%s) -> respawned and serving in %.2f s, then %d of 200 requests failed" % (
        SCENARIO, len(workers), process_manager, seconds, failed))
    assert failed == 0
    assert host.file(PIDFILE).content_string.strip() == master, "the master was replaced, not just its workers"


def test_container_restart_serves_again_with_no_ansible_run(host, site, process_manager):
    seconds = restart_container(host, "http://localhost:81/healthz", b"ok\n")
    print("recovery: %s container stop/start (%s) -> serving again %.1f s after start" % (SCENARIO, process_manager, seconds))
    assert host.service("nginx").is_running
    if process_manager == "supervisor":
        status = "supervisorctl status %s" % SERVICE
        site.wait_for(lambda: "RUNNING" in host.run(status).stdout, timeout=30, what="supervisor's RUNNING state")
    assert host.file("/run/flaskstack-%s/gunicorn.sock" % APP).is_socket
    if SCENARIO in WORKER_SCENARIOS:
        # The app's other processes came back by themselves too: every worker
        # runs again, and a job enqueued through the site is done by one.
        if process_manager == "systemd":
            states = "systemctl is-active %s.worker@1 %s.worker@2" % (SERVICE, SERVICE)
            site.wait_for(lambda: host.run(states).stdout.split() == ["active", "active"], timeout=30,
                          what="both workers active after the restart")
        else:
            def running():
                lines = host.run("supervisorctl status %s.worker:*", SERVICE).stdout.splitlines()
                return bool(lines) and all("RUNNING" in line for line in lines)

            site.wait_for(running, timeout=30, what="the worker RUNNING after the restart")
        job = site.job()
        assert job["release"] == site.demo()["release"], job


def test_invalid_nginx_config_fails_the_play_and_the_old_one_stays_live(host, site):
    only_in_scenarios("default", why="nginx's validation does not depend on the process manager")
    site_file = host.file("/etc/nginx/sites-available/%s.conf" % SERVICE)
    before = site_file.sha256sum
    # Passes the role's own check (digits and a unit) but overflows nginx's size.
    rc, output = run_playbook("-e", "nginx_client_max_body_size=99999999999999999999g")
    assert rc != 0
    assert "nginx rejects the new %s.conf; the live config is unchanged" % SERVICE in output, output[-3000:]
    assert "client_max_body_size" in output and "directive invalid value" in output, output[-3000:]
    assert host.file("/etc/nginx/sites-available/%s.conf" % SERVICE).sha256sum == before
    assert host.run("nginx -t -q").rc == 0
    assert not host.run("ls -A /etc/nginx | grep flaskstack-test").stdout, "the checker left files behind"
    status, _body = site.get("/")
    assert status == 200


def test_a_unit_the_service_cannot_start_with_is_refused_and_the_site_keeps_serving(host, site):
    only_in_scenarios("default", why="the systemd unit's own check; Debian 11 and 13 run the same systemd checks "
                                     "through the sandboxed import check")
    unit = host.file("/etc/systemd/system/%s.service" % SERVICE)
    before = unit.sha256sum
    master = host.file(PIDFILE).content_string.strip()
    load = LoadLoop(host, "http://localhost:81/demo", name="unit-refused", max_seconds=120)
    # A valid setting that no process of the unit could start with: the path is missing.
    rc, output = run_playbook("-e", json.dumps({"processes_systemd_settings": {"InaccessiblePaths": "/srv/flaskstack-nope"}}))
    stats = load.stop(linger=1)
    assert rc != 0
    assert "failed its check" in output and "the new unit could not start a process" in output, output[-3000:]
    assert "Failed to set up mount namespacing" in output and "flaskstack-nope" in output, output[-3000:]
    assert host.file("/etc/systemd/system/%s.service" % SERVICE).sha256sum == before
    assert host.file(PIDFILE).content_string.strip() == master
    assert stats["failed"] == 0 and stats["sent"] > 0, stats["errors"]
    assert not host.run("ls -A /etc/systemd/system | grep '^\\.%s'", SERVICE).stdout, "the tried unit was left behind"


def test_a_new_unit_the_service_does_not_start_with_gives_way_to_the_previous_one(host, site):
    only_in_scenarios("default", why="the systemd unit's own rollback; under supervisor a program is not tried first")
    unit = host.file("/etc/systemd/system/%s.service" % SERVICE)
    before = unit.sha256sum
    # Passes the unit's check (a command of its own is not run there), but the service cannot start.
    rc, output = run_playbook("-e", json.dumps({"processes_systemd_settings": {"ExecStartPre": "/bin/false"}}))
    assert rc != 0
    assert "its service does not start with its new unit" in output, output[-3000:]
    assert "Its previous unit is back, and the service runs with it again." in output, output[-3000:]
    assert host.file("/etc/systemd/system/%s.service" % SERVICE).sha256sum == before
    assert host.service(SERVICE).is_running
    site.wait_for(lambda: site.get("/healthz")[0] == 200, timeout=30, what="the app to serve again")
    assert host.file("/etc/systemd/system/%s.service.previous" % SERVICE).sha256sum == before
    assert "ExecStartPre" not in host.check_output("systemctl cat %s", SERVICE)


def test_sustained_load_has_no_errors_and_bounded_worker_memory(host, site):
    only_in_scenarios("default", why="one run at full speed shows the limits of gunicorn's worker recycling; "
                                     "supervisor runs the same gunicorn")
    master = host.file(PIDFILE).content_string.strip()

    def worker_rss():
        rows = host.check_output("ps -o pid=,rss= --ppid %s", master).split("\n")
        return dict(tuple(map(int, row.split())) for row in rows if row.strip())

    before = worker_rss()
    seen = set(before)
    peak = max(before.values())
    # As fast as 64 threads can: over ten thousand requests, so max_requests
    # (1000 + jitter 100 in this scenario) replaces every worker more than once.
    load = LoadLoop(host, "http://localhost:81/demo", name="sustained", threads=64, max_seconds=SUSTAINED_SECONDS,
                    rate=0)
    deadline = time.monotonic() + SUSTAINED_SECONDS
    while time.monotonic() < deadline:
        time.sleep(4)
        now = worker_rss()
        seen |= set(now)
        peak = max([peak] + list(now.values()))
    stats = load.stop(linger=0)
    after = worker_rss()
    print("memory: %s worker RSS before %d-%d kB, peak under load %d kB, after %d-%d kB; "
          "%d worker processes served the run (max_requests 1000 + jitter 100 replaces them)" % (
              SCENARIO, min(before.values()), max(before.values()), peak, min(after.values()),
              max(after.values()), len(seen)))
    assert stats["failed"] == 0, stats
    assert stats["sent"] > 0
    assert len(seen) > len(before), "no worker was recycled under load: max_requests is not in effect"
    assert peak <= max(before.values()) * 2 + 20 * 1024, "worker memory grew without bound"
