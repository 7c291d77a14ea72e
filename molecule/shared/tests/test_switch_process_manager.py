"""Switching the process manager on a converged host leaves exactly one gunicorn.

Runs after test_site.py (file order) and converges back to the scenario's own
process manager, so the host is left as the scenario made it. Debian 12 is
switched both ways by the supervisor scenario (supervisor -> systemd ->
supervisor); Debian 11 and 13 start from systemd, so supervisor is installed
on a host where systemd runs the app. The default scenario (Debian 12 under
systemd) would only repeat those two transitions, at two converges' cost.
"""

import os

import pytest

from conftest import SERVICE, gunicorn_config, only_in_scenarios, recap, run_playbook

OTHER = {"systemd": "supervisor", "supervisor": "systemd"}


def _only_gunicorn_is_under(host, site, manager):
    site.wait_for(lambda: len(site.gunicorn_masters()) == 1, timeout=30, what="a single gunicorn master")
    master = site.gunicorn_masters()[0]
    parent = host.check_output("ps -o args= -p %s", str(master[1]))
    # The app's own config path and graceful timeout (an entry of
    # flaskstack_apps in the supervisor and debian13 scenarios) reach either manager.
    config, graceful = gunicorn_config(host)
    assert master[3].endswith("/bin/gunicorn --config %s" % config), master
    if manager == "systemd":
        assert "systemd" in parent, parent
        assert host.service(SERVICE).is_running
        assert not host.file("/etc/supervisor/conf.d/%s.conf" % SERVICE).exists
        stop = host.check_output("systemctl show -p TimeoutStopUSec %s", SERVICE)
        assert stop == "TimeoutStopUSec=%ds" % (graceful + 5), stop
    else:
        assert "supervisord" in parent, parent
        assert not host.file("/etc/systemd/system/%s.service" % SERVICE).exists
        program = host.file("/etc/supervisor/conf.d/%s.conf" % SERVICE).content_string
        assert "\nstopwaitsecs=%d\n" % (graceful + 5) in program, program
    site.wait_for(lambda: site.get("/")[0] == 200, timeout=30, what="the page after the switch")
    if os.environ.get("MOLECULE_SCENARIO_NAME") == "supervisor":
        _only_worker_is_under(host, site, manager)


def _only_worker_is_under(host, site, manager):
    """The demo app's queue worker (app_processes, in the supervisor scenario)
    moves with it: one, under the new manager, taking jobs."""
    units = host.run("systemctl list-units --all --plain --no-legend '%s.worker@*'", SERVICE).stdout.split()
    programs = host.run("supervisorctl status %s.worker:*", SERVICE).stdout if host.exists("supervisorctl") else ""
    if manager == "systemd":
        assert host.run("systemctl is-active %s.worker@1", SERVICE).stdout.strip() == "active"
        assert "RUNNING" not in programs, programs
    else:
        assert "RUNNING" in programs, programs
        assert not units, units
        assert not host.file("/etc/systemd/system/%s.worker@.service" % SERVICE).exists
    assert site.job()["user"] == "demo"


@pytest.fixture(scope="module", autouse=True)
def switching_scenarios():
    only_in_scenarios("supervisor", "debian11",
                      why="Debian 12 is switched both ways in the supervisor scenario, and from a systemd-only "
                          "host (supervisor installed fresh) in the debian11 scenario; the debian13 scenario's "
                          "minutes go to the real app (test_real_app.py)")


def test_switching_process_manager_leaves_one_gunicorn(host, site, process_manager):
    other = OTHER[process_manager]
    rc, output = run_playbook("-e", "flaskstack_process_manager=%s" % other)
    assert rc == 0, output[-3000:]
    _only_gunicorn_is_under(host, site, other)

    rc, output = run_playbook()
    assert rc == 0, output[-3000:]
    assert recap(output)["failed"] == 0
    _only_gunicorn_is_under(host, site, process_manager)
