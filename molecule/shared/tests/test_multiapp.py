"""Two apps on one host, under different server names: each has its own user,
virtualenv, gunicorn and socket; changing one leaves the other alone, and an
app with flaskstack_app_state: absent is removed cleanly (default scenario only).
Checks run in file order; the last one removes shop. Entries with unknown or
doubly set variables are refused in test_bad_input.py.
"""

import json

import pytest

from conftest import only_in_scenarios, recap, run_playbook


def apps(shop=None):
    shop_entry = {"flaskstack_app_name": "shop", "nginx_server_name": "shop.test", "app_health_path": "/healthz"}
    shop_entry.update(shop or {})
    return json.dumps({"flaskstack_apps": [{"flaskstack_app_name": "demo", "app_health_path": "/healthz"}, shop_entry]})


@pytest.fixture(scope="module", autouse=True)
def two_apps(host):
    only_in_scenarios("default", why="how apps share a host does not depend on the platform "
                                     "or the process manager, and the suite must stay fast")
    rc, output = run_playbook("-e", apps())
    assert rc == 0, output[-3000:]
    yield
    # The last check removes shop; if a check stopped before it, shop goes here.
    if host.file("/srv/flaskstack/shop").exists:
        rc, output = run_playbook("-e", apps({"flaskstack_app_state": "absent"}))
        assert rc == 0, output[-3000:]


def pids(site, user):
    """(master pid, sorted worker pids) of the gunicorn running as user."""
    rows = [row for row in site.gunicorn_processes() if row[2] == user]
    own = {row[0] for row in rows}
    masters = [row[0] for row in rows if row[1] not in own]
    assert len(masters) == 1, rows
    return masters[0], sorted(row[0] for row in rows if row[1] == masters[0])


def test_each_app_answers_its_server_name_as_its_own_user(site):
    assert site.demo()["user"] == "demo"
    assert site.demo({"Host": "shop.test"})["user"] == "shop"
    assert site.demo({"Host": "anything.else"})["user"] == "demo"


def test_each_app_has_its_own_service_socket_and_venv(host):
    for app in ("demo", "shop"):
        assert host.service("flaskstack-%s" % app).is_running
        assert host.socket("unix:///run/flaskstack-%s/gunicorn.sock" % app).is_listening
        assert host.file("/srv/flaskstack/%s/venv/bin/gunicorn" % app).exists
        assert host.file("/etc/nginx/sites-enabled/flaskstack-%s.conf" % app).is_symlink


def test_second_converge_changes_nothing(host):  # host: keeps this test in file order
    rc, output = run_playbook("-e", apps())
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0


def test_changing_one_app_leaves_the_other_untouched(site):
    demo_before = pids(site, "demo")
    shop_master, shop_workers = pids(site, "shop")
    rc, output = run_playbook("-e", apps({"gunicorn_workers": 2}))
    assert rc == 0, output[-3000:]
    assert pids(site, "demo") == demo_before
    site.wait_for(lambda: len(pids(site, "shop")[1]) == 2, what="shop to run 2 workers")
    master, workers = pids(site, "shop")
    assert master == shop_master, "shop was restarted, not reloaded"
    assert not set(workers) & set(shop_workers)


def test_unknown_host_is_dropped_once_every_site_has_a_name(host, site):
    # demo, the catch-all so far, gets a name: port 81 then answers only
    # demo.test and shop.test, and closes the connection for any other Host.
    both_named = json.loads(apps())
    both_named["flaskstack_apps"][0]["nginx_server_name"] = "demo.test"
    rc, output = run_playbook("-e", json.dumps(both_named))
    assert rc == 0, output[-3000:]
    assert host.file("/etc/nginx/sites-enabled/flaskstack-default-81.conf").is_symlink
    assert site.demo({"Host": "demo.test"})["user"] == "demo"
    assert site.demo({"Host": "shop.test"})["user"] == "shop"
    unknown = host.run("curl -sS --max-time 5 -H 'Host: 192.0.2.1' http://localhost:81/demo")
    assert unknown.rc == 52, "expected an empty reply (444), got rc %d: %s" % (unknown.rc, unknown.stdout)


def test_absent_app_is_removed_and_the_other_keeps_serving(host, site):
    demo_before = pids(site, "demo")
    rc, output = run_playbook("-e", apps({"flaskstack_app_state": "absent"}))
    assert rc == 0, output[-3000:]
    assert not host.file("/etc/systemd/system/flaskstack-shop.service").exists
    assert not host.file("/etc/nginx/sites-enabled/flaskstack-shop.conf").exists
    assert not host.file("/etc/nginx/sites-available/flaskstack-shop.conf").exists
    assert not host.file("/run/flaskstack-shop").exists
    assert not host.file("/srv/flaskstack/shop").exists
    assert not host.file("/etc/flaskstack/shop").exists
    assert not host.user("shop").exists
    assert not [row for row in site.gunicorn_processes() if row[2] == "shop"]
    assert pids(site, "demo") == demo_before
    assert site.demo({"Host": "shop.test"})["user"] == "demo"
