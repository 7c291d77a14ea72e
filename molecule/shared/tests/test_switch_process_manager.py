"""Switching the process manager on a converged host leaves exactly one gunicorn.

Runs after test_site.py (file order) and converges back to the scenario's own
process manager, so the host is left as the scenario made it.
"""

from conftest import SERVICE, recap, run_playbook

OTHER = {"systemd": "supervisor", "supervisor": "systemd"}


def _only_gunicorn_is_under(host, site, manager):
    site.wait_for(lambda: len(site.gunicorn_masters()) == 1, timeout=30, what="a single gunicorn master")
    master = site.gunicorn_masters()[0]
    parent = host.check_output("ps -o args= -p %s", str(master[1]))
    if manager == "systemd":
        assert "systemd" in parent, parent
        assert host.service(SERVICE).is_running
        assert not host.file("/etc/supervisor/conf.d/%s.conf" % SERVICE).exists
    else:
        assert "supervisord" in parent, parent
        assert not host.file("/etc/systemd/system/%s.service" % SERVICE).exists
    site.wait_for(lambda: site.get("/")[0] == 200, timeout=30, what="the page after the switch")


def test_switching_process_manager_leaves_one_gunicorn(host, site, process_manager):
    other = OTHER[process_manager]
    rc, output = run_playbook("-e", "flaskstack_process_manager=%s" % other)
    assert rc == 0, output[-3000:]
    _only_gunicorn_is_under(host, site, other)

    rc, output = run_playbook()
    assert rc == 0, output[-3000:]
    assert recap(output)["failed"] == 0
    _only_gunicorn_is_under(host, site, process_manager)
