"""Scheduled jobs (app_schedules): systemd timers under either process manager.

One converge gives the demo app three jobs: one notes where, as whom and with
which environment it ran; one is slow, to show that a job never runs twice at
once; one fails on purpose. Each runs through the flaskstack command in the
live release, in the service's sandbox, its output in the journal. A converge
without them (default scenario) removes them; elsewhere the next module's
first converge does.
"""

import json
import os

import pytest

from conftest import APP, SERVICE, only_in_scenarios, restart_container, run_playbook

JOBS = [
    {"name": "note", "on_calendar": "*-*-* 03:00:00",
     "command": 'echo "$(basename "$PWD") $(id -un) ${GREETING:-none}" >> "$STATE_DIRECTORY/schedule.log"; echo noted'},
    {"name": "slow", "on_calendar": "Mon *-*-* 04:00:00", "command": 'sleep 3; date +%s.%N >> "$STATE_DIRECTORY/slow.log"'},
    {"name": "fails", "on_calendar": "daily", "command": "echo failing on purpose; exit 3"},
]
STATE_DIR = "/var/lib/flaskstack/%s" % APP
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "?")


def unit(job, kind="service"):
    return "%s.%s.%s" % (SERVICE, job, kind)


def lines(host, name):
    log = host.file("%s/%s" % (STATE_DIR, name))
    return log.content_string.splitlines() if log.exists else []


@pytest.fixture(scope="module", autouse=True)
def jobs():
    only_in_scenarios("default", "supervisor", why="timers are systemd's under either process manager, "
                                                   "the same on every platform")
    rc, output = run_playbook("-e", json.dumps({"app_schedules": JOBS}))
    assert rc == 0, output[-3000:]


def test_each_job_is_an_enabled_timer_that_catches_up_after_a_reboot(host, site):
    for job in JOBS:
        timer = host.file("/etc/systemd/system/" + unit(job["name"], "timer"))
        assert "OnCalendar=%s" % job["on_calendar"] in timer.content_string.splitlines()
        assert "Persistent=true" in timer.content_string.splitlines()
        assert host.run("systemctl is-enabled %s", unit(job["name"], "timer")).stdout.strip() == "enabled"
        assert host.run("systemctl is-active %s", unit(job["name"], "timer")).stdout.strip() == "active"
    # The server was down at 03:00: the note job last ran two days ago (systemd's
    # stamp of a persistent timer). Back up, with no Ansible run, every timer runs
    # again and the note job catches up once, by itself.
    stamp = "/var/lib/systemd/timers/stamp-%s" % unit("note", "timer")
    assert host.run("touch -d '2 days ago' %s", stamp).rc == 0
    before = lines(host, "schedule.log")
    seconds = restart_container(host, "http://localhost:81/healthz", b"ok\n")
    print("recovery: %s container stop/start -> serving again %.1f s after start" % (SCENARIO, seconds))
    for job in JOBS:
        assert host.run("systemctl is-active %s", unit(job["name"], "timer")).stdout.strip() == "active", job
    site.wait_for(lambda: len(lines(host, "schedule.log")) == len(before) + 1, timeout=60,
                  what="the note job to catch up on the run it missed")


def test_a_job_runs_as_the_app_in_the_live_release_with_its_environment(host):
    before = lines(host, "schedule.log")
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    started = host.run("systemctl start %s", unit("note"))
    assert started.rc == 0, started.stderr
    live = host.file("/srv/flaskstack/%s/current" % APP).linked_to.rsplit("/", 1)[1]
    variables = host.ansible.get_variables()
    entry = [entry for entry in variables.get("flaskstack_apps") or [] if entry["flaskstack_app_name"] == APP]
    environment = (entry[0] if entry else variables).get("app_environment") or {}
    greeting = environment.get("GREETING", "none")
    assert lines(host, "schedule.log") == before + ["%s %s %s" % (live, APP, greeting)]
    journal = host.run("journalctl --no-pager -o cat -u %s --since %s", unit("note"), since)
    assert "noted" in journal.stdout.splitlines(), journal.stdout


def test_a_job_runs_in_the_service_s_sandbox(host):
    shown = host.check_output("systemctl show -p User,ProtectSystem,PrivateTmp,NoNewPrivileges %s", unit("note"))
    assert sorted(shown.splitlines()) == ["NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=strict",
                                          "User=%s" % APP]


def test_a_job_never_runs_twice_at_once(host):
    before = lines(host, "slow.log")
    for _attempt in range(3):
        assert host.run("systemctl start --no-block %s", unit("slow")).rc == 0
    # A start without --no-block joins the run under way (it sleeps 3 s) and returns when it ends.
    assert host.run("systemctl start %s", unit("slow")).rc == 0
    assert len(lines(host, "slow.log")) == len(before) + 1


def test_a_failed_run_shows_in_systemctl_and_in_the_app_s_status(host):
    assert host.run("systemctl start %s", unit("fails")).rc != 0
    try:
        assert host.run("systemctl is-failed %s", unit("fails")).stdout.strip() == "failed"
        assert unit("fails") in host.check_output("systemctl --failed --no-legend --plain")
        status = host.run("/usr/local/sbin/flaskstack %s status", APP)
        assert status.rc == 0, status.stderr
        assert "failed job runs" in status.stdout and unit("fails") in status.stdout, status.stdout
        assert unit("note", "timer") in status.stdout
    finally:
        host.run("systemctl reset-failed %s", unit("fails"))


def test_jobs_dropped_from_the_list_are_removed(host):
    only_in_scenarios("default", why="removal is the same under either process manager; the next module's first "
                                     "converge removes them there")
    rc, output = run_playbook()
    assert rc == 0, output[-3000:]
    for job in JOBS:
        for kind in ("service", "timer"):
            assert not host.file("/etc/systemd/system/" + unit(job["name"], kind)).exists
    assert SERVICE + "." not in host.check_output("systemctl list-timers --all --no-legend")
