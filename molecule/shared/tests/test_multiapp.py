"""Several apps on one host: the shipped example of inventory/group_vars/
webservers.yml, uncommented (its git source swapped for a local one), beside
the demo app. Each app has its own user, virtualenv, gunicorn and socket and
answers its own server name; changing one leaves the others alone, and an app
with flaskstack_app_state: absent is removed cleanly, its data kept unless
app_state_purge (default scenario only).
Checks run in file order; the last one removes the example's apps. Entries
with unknown or doubly set variables are refused in test_bad_input.py.
"""

import os
import re
import shutil

import pytest
import yaml

from conftest import only_in_scenarios, recap, run_playbook

PROJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
SHIPPED = os.path.join(PROJECT, "inventory", "group_vars", "webservers.yml")
DEMO_DIR = os.path.join(PROJECT, "roles", "app", "files", "demo")


def uncommented_example(text):
    """The shipped file with its flaskstack_apps example uncommented, as a user would."""
    lines = text.splitlines()
    start = lines.index("# flaskstack_apps:")
    end = start
    while end < len(lines) and lines[end].startswith("# ") and (end == start or lines[end].startswith("#   ")):
        end += 1
    return "\n".join(lines[:start] + [line[2:] for line in lines[start:end]] + lines[end:]) + "\n"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The shipped variables with the example uncommented; git and local sources point at copies of the demo app."""
    with open(SHIPPED) as handle:
        variables = yaml.safe_load(uncommented_example(handle.read()))
    for entry in variables["flaskstack_apps"]:
        code = tmp_path_factory.mktemp(entry["flaskstack_app_name"])
        for name in ("app.py", "requirements.txt"):
            shutil.copy(os.path.join(DEMO_DIR, name), str(code))
        if entry["app_source"] == "git":
            del entry["app_git_repo"]
        entry.update(app_source="local", app_local_path=str(code))
    return variables, tmp_path_factory.mktemp("inventory")


def converge(example, changes=None):
    """Runs the site with the shipped variables as the webservers' group variables (a second
    inventory source, as a user's group_vars), the demo app first, changes applied by app name."""
    variables, directory = example
    apps = [{"flaskstack_app_name": "demo"}] + [dict(entry) for entry in variables["flaskstack_apps"]]
    for entry in apps:
        entry.update((changes or {}).get(entry["flaskstack_app_name"], {}))
    group = dict(variables, flaskstack_apps=apps)
    inventory = directory / "example.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"webservers": {"vars": group}}}}))
    return run_playbook("-i", str(inventory))


@pytest.fixture(scope="module", autouse=True)
def several_apps(host, example):
    only_in_scenarios("default", why="how apps share a host does not depend on the platform "
                                     "or the process manager, and the suite must stay fast")
    rc, output = converge(example)
    assert rc == 0, output[-3000:]
    yield
    # The last check removes the example's apps; if a check stopped before it, they go here.
    if host.file("/srv/flaskstack/shop").exists or host.file("/srv/flaskstack/blog").exists:
        rc, output = converge(example, {"shop": {"flaskstack_app_state": "absent"},
                                        "blog": {"flaskstack_app_state": "absent"}})
        assert rc == 0, output[-3000:]


def test_the_shipped_example_is_the_readme_s():
    with open(SHIPPED) as handle:
        shipped = uncommented_example(handle.read())
    with open(os.path.join(PROJECT, "README.md")) as handle:
        readme = handle.read()
    block = re.search(r"^flaskstack_apps:\n(?:  .*\n)+", shipped, re.M).group(0)
    assert "```yaml\n" + block + "```" in readme


def pids(site, user):
    """(master pid, sorted worker pids) of the gunicorn running as user."""
    rows = [row for row in site.gunicorn_processes() if row[2] == user]
    own = {row[0] for row in rows}
    masters = [row[0] for row in rows if row[1] not in own]
    assert len(masters) == 1, rows
    return masters[0], sorted(row[0] for row in rows if row[1] == masters[0])


def test_each_app_answers_its_server_name_as_its_own_user(site):
    assert site.demo()["user"] == "demo"
    assert site.demo({"Host": "shop.example.com"})["user"] == "shop"
    assert site.demo({"Host": "blog.example.com"})["user"] == "blog"
    assert site.demo({"Host": "anything.else"})["user"] == "demo"


def test_each_app_has_its_own_service_socket_and_venv(host):
    for app in ("demo", "shop", "blog"):
        assert host.service("flaskstack-%s" % app).is_running
        assert host.socket("unix:///run/flaskstack-%s/gunicorn.sock" % app).is_listening
        assert host.file("/srv/flaskstack/%s/venv/bin/gunicorn" % app).exists
        assert host.file("/etc/nginx/sites-enabled/flaskstack-%s.conf" % app).is_symlink


def test_second_converge_changes_nothing(host, example):  # host: keeps this test in file order
    rc, output = converge(example)
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0


def test_changing_one_app_leaves_the_others_untouched(site, example):
    # One run changes shop's workers and gives demo, the catch-all so far, a
    # name (its nginx site only): the next check reads what the name did.
    demo_before, blog_before = pids(site, "demo"), pids(site, "blog")
    shop_master, shop_workers = pids(site, "shop")
    rc, output = converge(example, {"shop": {"gunicorn_workers": 2}, "demo": {"nginx_server_name": "demo.test"}})
    assert rc == 0, output[-3000:]
    assert pids(site, "demo") == demo_before
    assert pids(site, "blog") == blog_before
    site.wait_for(lambda: len(pids(site, "shop")[1]) == 2, what="shop to run 2 workers")
    master, workers = pids(site, "shop")
    assert master == shop_master, "shop was restarted, not reloaded"
    assert not set(workers) & set(shop_workers)


def test_unknown_host_is_dropped_once_every_site_has_a_name(host, site):
    # Since the run above every app has a name: port 81 answers only those,
    # and closes the connection for any other Host.
    assert host.file("/etc/nginx/sites-enabled/flaskstack-default-81.conf").is_symlink
    assert site.demo({"Host": "demo.test"})["user"] == "demo"
    assert site.demo({"Host": "shop.example.com"})["user"] == "shop"
    unknown = host.run("curl -sS --max-time 5 -H 'Host: 192.0.2.1' http://localhost:81/demo")
    assert unknown.rc == 52, "expected an empty reply (444), got rc %d: %s" % (unknown.rc, unknown.stdout)


def test_absent_apps_are_removed_and_the_other_keeps_serving(host, site, example):
    demo_before = pids(site, "demo")
    assert host.file("/var/lib/flaskstack/shop").user == "shop"
    assert host.file("/var/lib/flaskstack/blog").user == "blog"
    rc, output = converge(example, {"shop": {"flaskstack_app_state": "absent"},
                                    "blog": {"flaskstack_app_state": "absent", "app_state_purge": True}})
    assert rc == 0, output[-3000:]
    for app in ("shop", "blog"):
        assert not host.file("/etc/systemd/system/flaskstack-%s.service" % app).exists
        assert not host.file("/etc/nginx/sites-enabled/flaskstack-%s.conf" % app).exists
        assert not host.file("/etc/nginx/sites-available/flaskstack-%s.conf" % app).exists
        assert not host.file("/run/flaskstack-%s" % app).exists
        assert not host.file("/srv/flaskstack/%s" % app).exists
        assert not host.file("/etc/flaskstack/%s" % app).exists
        assert not host.user(app).exists
        assert not [row for row in site.gunicorn_processes() if row[2] == app]
    assert pids(site, "demo") == demo_before
    assert site.demo({"Host": "shop.example.com"})["user"] == "demo"
    # An app's data stays when it is removed, unless app_state_purge.
    assert host.file("/var/lib/flaskstack/shop").is_directory
    assert not host.file("/var/lib/flaskstack/blog").exists
