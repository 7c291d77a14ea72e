"""The app's environment, config files and data directory (app_environment,
app_config_files, app_state_dir).

The scenario's inventory gives the demo app GREETING and SECRET_KEY, and a
settings file (SIGNATURE, API_TOKEN) it reads from CONFIGURATION_DIRECTORY.
They are root-owned files, readable by the app's group only; every worker has
them, and STATE_DIRECTORY, a directory of the app user's that the sandbox lets
it write. A changed secret and settings file reload gracefully (the same
master, new workers with the new values), and no old or new value is in the
output of a verbose run with --diff. The data the app wrote stays through a deploy of
another version and a rollback (those two, which run playbooks, in the default
scenario only). Checks run in file order; the next module's first run goes
back to the inventory's environment.
"""

import json
import os
import shutil

import pytest

from conftest import APP, SITE, only_in_scenarios, recap, run_playbook

DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles", "app", "files", "demo")
ENVIRONMENT_FILE = "/etc/flaskstack/%s/environment" % APP
SETTINGS_FILE = "/etc/flaskstack/%s/settings.cfg" % APP
STATE_DIR = "/var/lib/flaskstack/%s" % APP
OLD_SECRET = "inventory-s3cret-0"
NEW_SECRET = "rotated-s3cret-1"
OLD_TOKEN = "config-s3cret-0"
NEW_TOKEN = "config-s3cret-1"
ROLLBACK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "playbooks", "rollback.yml")


@pytest.fixture(scope="module", autouse=True)
def environment_scenarios():
    only_in_scenarios("default", "supervisor",
                      why="the environment reaches gunicorn through its own config under either process "
                          "manager, the same on every platform")


def visits(site):
    """The demo app's answer on /visits: its count and GREETING, as its workers see them."""
    status, body = site.get("/visits")
    assert status == 200, body
    return json.loads(body)


def post(site, path):
    """POST to path through nginx, as a form would; its JSON answer."""
    result = site.host.run("curl -sS --max-time 10 -X POST %s%s", SITE, path)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def app_change(host, **variables):
    """Extra variables that give the demo app these settings, where the scenario sets them."""
    entries = host.ansible.get_variables().get("flaskstack_apps") or []
    if entries:
        changed = [dict(entry, **variables) if entry["flaskstack_app_name"] == APP else entry for entry in entries]
        return ["-e", json.dumps({"flaskstack_apps": changed})]
    return ["-e", json.dumps(variables)]


def test_the_environment_file_is_root_s_and_only_the_app_group_reads_it(host):
    environment = host.file(ENVIRONMENT_FILE)
    assert (environment.user, environment.group, environment.mode) == ("root", APP, 0o640)
    lines = environment.content_string.splitlines()
    assert "GREETING=hello from the inventory" in lines
    assert "SECRET_KEY=%s" % OLD_SECRET in lines
    assert "STATE_DIRECTORY=%s" % STATE_DIR in lines
    assert "CONFIGURATION_DIRECTORY=/etc/flaskstack/%s" % APP in lines
    assert host.run("runuser -u nobody -- cat %s", ENVIRONMENT_FILE).rc != 0


def test_the_config_file_is_root_s_and_only_the_app_group_reads_it(host):
    settings = host.file(SETTINGS_FILE)
    assert (settings.user, settings.group, settings.mode) == ("root", APP, 0o640)
    assert 'API_TOKEN = "%s"' % OLD_TOKEN in settings.content_string.splitlines()
    assert host.run("runuser -u nobody -- cat %s", SETTINGS_FILE).rc != 0
    assert host.run("runuser -u %s -- cat %s", APP, SETTINGS_FILE).rc == 0


def test_every_worker_has_the_environment(site):
    # gunicorn sets the variables in each process (its environment block in
    # /proc shows only what the process was started with): ask the app.
    for _attempt in range(10):
        answer = visits(site)
        assert (answer["greeting"], answer["signature"]) == ("hello from the inventory", "signed by the inventory")


def test_the_app_writes_its_data_directory_inside_the_sandbox(host, site):
    state = host.file(STATE_DIR)
    assert (state.user, state.group, state.mode) == (APP, APP, 0o750)
    count = visits(site)["visits"]
    assert post(site, "/visits")["visits"] == count + 1
    assert post(site, "/visits")["visits"] == count + 2
    # Written where STATE_DIRECTORY points, by the app user.
    assert host.file(STATE_DIR + "/visits").user == APP
    assert host.file(STATE_DIR + "/visits").content_string.strip() == str(count + 2)


def test_a_changed_secret_reloads_gracefully_and_no_value_is_shown(host, site, tmp_path):
    only_in_scenarios("default", why="gunicorn reads the file again at every HUP under either manager; "
                                     "supervisor's HUP is proven by the deploy under load (test_releases.py)")
    count = visits(site)["visits"]
    masters = [row[0] for row in site.gunicorn_masters()]
    # Another version of the code in the same run: the data must outlive it.
    for name in ("app.py", "requirements.txt"):
        shutil.copy(os.path.join(DEMO_DIR, name), str(tmp_path))
    with open(str(tmp_path / "app.py"), "a") as handle:
        handle.write("\n# another version\n")
    settings = [{"path": "settings.cfg", "content": 'SIGNATURE = "signed again"\nAPI_TOKEN = "%s"\n' % NEW_TOKEN}]
    rc, output = run_playbook("-v", "--diff", "-e", "app_source=local", "-e", "app_local_path=%s" % tmp_path,
                              *app_change(host, app_environment={"GREETING": "hello again", "SECRET_KEY": NEW_SECRET},
                                          app_config_files=settings))
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] > 0
    for value in (OLD_SECRET, NEW_SECRET, OLD_TOKEN, NEW_TOKEN):
        assert value not in output, value
    # The diffs name the changed variables and settings, their values masked.
    assert "SECRET_KEY=********  (new value)" in output and "GREETING=********  (old value)" in output
    assert "API_TOKEN =********  (new value)" in output and "SIGNATURE =********  (old value)" in output
    assert [row[0] for row in site.gunicorn_masters()] == masters, "the app restarted instead of reloading"
    # Every worker has the new file's values: GREETING shows, SECRET_KEY came with it.
    site.wait_for(lambda: all(visits(site) == {"visits": count, "greeting": "hello again", "signature": "signed again"}
                              for _attempt in range(10)),
                  what="every worker to have the new environment and settings")
    assert "SECRET_KEY=%s" % NEW_SECRET in host.file(ENVIRONMENT_FILE).content_string
    assert 'API_TOKEN = "%s"' % NEW_TOKEN in host.file(SETTINGS_FILE).content_string


def test_the_data_stays_through_a_rollback(host, site):
    only_in_scenarios("default", why="the data directory is outside the releases under either manager")
    count = visits(site)["visits"]
    before = host.file("/srv/flaskstack/%s/current" % APP).linked_to
    rc, output = run_playbook(playbook=ROLLBACK)
    assert rc == 0, output[-3000:]
    assert host.file("/srv/flaskstack/%s/current" % APP).linked_to != before
    assert visits(site)["visits"] == count
