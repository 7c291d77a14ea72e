"""The flaskstack command on the server: what an operator runs over SSH.

`flaskstack demo run -- CMD` runs CMD as the app user, in the live release,
with the app's environment and its virtualenv first on PATH (so `flask`
is the app's); status, releases and logs show the app; only root, or the
app's own user for its app, may use it.
"""

import json

import pytest

from conftest import APP, only_in_scenarios

COMMAND = "/usr/local/sbin/flaskstack"
# What a process started by the run command sees.
PROBE = ("import json, os, sys; print(json.dumps(dict(user=os.getuid(), cwd=os.getcwd(), python=sys.executable, "
         "greeting=os.environ.get('GREETING'), state=os.environ.get('STATE_DIRECTORY'), "
         "virtual_env=os.environ.get('VIRTUAL_ENV'))))")


@pytest.fixture(scope="module", autouse=True)
def command_scenarios():
    only_in_scenarios("default", "supervisor", why="the command reads the same environment file under either "
                                                   "process manager, the same on every platform")


def test_the_command_is_root_s(host):
    command = host.file(COMMAND)
    assert (command.user, command.group, command.mode) == ("root", "root", 0o755)


def test_run_is_the_app_user_in_the_live_release_with_its_environment(host):
    result = host.run("%s %s run -- python -c %s", COMMAND, APP, PROBE)
    assert result.rc == 0, result.stderr
    seen = json.loads(result.stdout)
    live = host.file("/srv/flaskstack/%s/current" % APP).linked_to
    assert seen["user"] == host.user(APP).uid
    assert seen["cwd"] == live
    assert seen["python"] == "/srv/flaskstack/%s/venv/bin/python" % APP
    assert seen["virtual_env"] == "/srv/flaskstack/%s/venv" % APP
    assert seen["greeting"] == "hello from the inventory"
    assert seen["state"] == "/var/lib/flaskstack/%s" % APP


def test_run_gives_the_app_s_flask_command(host):
    result = host.run("%s %s run -- flask --app app routes", COMMAND, APP)
    assert result.rc == 0, result.stderr
    assert "/visits" in result.stdout and "/healthz" in result.stdout


def test_run_passes_the_command_s_exit_status(host):
    assert host.run("%s %s run -- python -c %s", COMMAND, APP, "raise SystemExit(7)").rc == 7
    missing = host.run("%s %s run -- no-such-command", COMMAND, APP)
    assert missing.rc == 127 and "cannot run no-such-command" in missing.stderr


def test_status_shows_the_release_and_the_running_processes(host, process_manager):
    result = host.run("%s %s status", COMMAND, APP)
    assert result.rc == 0, result.stdout + result.stderr
    live = host.file("/srv/flaskstack/%s/current" % APP).linked_to.rsplit("/", 1)[1]
    assert "live      /srv/flaskstack/%s/current -> %s" % (APP, live) in result.stdout
    assert ("active (running)" if process_manager == "systemd" else "RUNNING") in result.stdout


def test_releases_marks_the_live_one(host):
    result = host.run("%s %s releases", COMMAND, APP)
    assert result.rc == 0, result.stderr
    live = host.file("/srv/flaskstack/%s/current" % APP).linked_to.rsplit("/", 1)[1]
    assert "%s  (live)" % live in result.stdout.splitlines()


def test_logs_show_the_app_s_log(host):
    result = host.run("%s %s logs -n 200", COMMAND, APP)
    assert result.rc == 0, result.stderr
    # gunicorn's own lines (its workers booting), or the requests it logged.
    assert "Booting worker" in result.stdout or '"GET /' in result.stdout, result.stdout[-2000:]


def test_the_list_names_every_app(host):
    result = host.run(COMMAND)
    assert result.rc == 0, result.stderr
    assert any(line.split()[0] == APP for line in result.stdout.splitlines()), result.stdout


def test_only_root_or_the_app_s_own_user_may_use_it(host):
    refused = host.run("runuser -u nobody -- %s %s status", COMMAND, APP)
    assert refused.rc == 1 and "run me as root" in refused.stderr
    assert host.run("runuser -u nobody -- %s", COMMAND).rc == 1
    # The app's own user may, for its own app (the release phase runs so, in the service's sandbox).
    own = host.run("runuser -u %s -- %s %s run -- python -c %s", APP, COMMAND, APP, PROBE)
    assert own.rc == 0, own.stderr
    assert json.loads(own.stdout)["greeting"] == "hello from the inventory"


def test_an_unknown_app_is_named(host):
    result = host.run("%s nope status", COMMAND)
    assert result.rc == 1 and "no app 'nope' on this server" in result.stderr
