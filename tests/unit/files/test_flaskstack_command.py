"""The flaskstack command (roles/app/files/flaskstack.py), run in-process on
apps described in a directory of this test: how it reads an app, masks its
secrets and runs a release phase, stopping at the first command that fails.
As root or not, the app's user here is this process's own: nothing changes user."""

import importlib.util
import json
import os
import pwd

import pytest

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles", "app", "files",
                    "flaskstack.py")
SECRET = "s3cret-value-42"


@pytest.fixture()
def command(tmp_path, monkeypatch):
    """The command's module, with one app, demo, whose user is this process's."""
    spec = importlib.util.spec_from_file_location("flaskstack_command", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CONFIG_ROOT", str(tmp_path / "etc"))
    user = pwd.getpwuid(os.geteuid()).pw_name
    for name in ("etc/demo", "srv/releases/r1", "srv/venv/bin", "state"):
        (tmp_path / name).mkdir(parents=True)
    os.symlink(str(tmp_path / "srv/releases/r1"), str(tmp_path / "srv/current"))
    description = dict(name="demo", user=user, group=user, code=str(tmp_path / "srv/current"),
                       previous=str(tmp_path / "srv/previous"), releases=str(tmp_path / "srv/releases"),
                       venv=str(tmp_path / "srv/venv"), state=str(tmp_path / "state"), service="flaskstack-demo",
                       manager="systemd")
    (tmp_path / "etc/demo/environment").write_text(
        "# written by the app role\n# flaskstack-app: %s\nSECRET_KEY=%s\nGREETING=hi\nSTATE_DIRECTORY=%s\n"
        % (json.dumps(description), SECRET, tmp_path / "state"))
    module.test_root = tmp_path
    return module


def test_an_app_is_read_from_its_environment_file(command):
    description, environment = command.app("demo")
    assert description["service"] == "flaskstack-demo"
    assert environment == {"SECRET_KEY": SECRET, "GREETING": "hi", "STATE_DIRECTORY": str(command.test_root / "state")}


def test_an_unknown_app_and_an_old_file_are_named(command):
    with pytest.raises(command.Problem, match="no app 'shop' on this server .apps: demo."):
        command.app("shop")
    (command.test_root / "etc/old").mkdir()
    (command.test_root / "etc/old/environment").write_text("KEY=value\n")
    with pytest.raises(command.Problem, match="does not say which app it is for"):
        command.read_app(str(command.test_root / "etc/old/environment"))
    assert sorted(command.apps()) == ["demo"]


def test_values_of_the_environment_are_masked_short_ones_left(command):
    _description, environment = command.app("demo")
    text = command.masked("key %s, greeting hi" % SECRET, environment)
    assert text == "key ********, greeting hi"


def test_releases_are_listed_newest_first_the_live_one_marked(command):
    (command.test_root / "srv/releases/r0").mkdir()
    os.utime(str(command.test_root / "srv/releases/r0"), (1, 1))
    description, _environment = command.app("demo")
    assert command.releases(description) == [("r1", "live"), ("r0", "")]


def test_the_release_phase_runs_each_command_in_the_release_with_the_environment(command, capsys):
    release = command.test_root / "srv/releases/r1"
    assert command.release_phase("demo", [str(release), "--", "echo \"$GREETING from $(basename \"$PWD\")\"",
                                          "echo $VIRTUAL_ENV"]) == 0
    out = capsys.readouterr().out
    assert "hi from r1\n" in out and str(command.test_root / "srv/venv") in out
    assert os.path.exists(str(command.test_root / "state/.flaskstack-release.lock"))


def test_the_release_phase_stops_at_the_first_failure_naming_it_secrets_masked(command, capsys):
    release = command.test_root / "srv/releases/r1"
    marker = command.test_root / "state/ran"
    with pytest.raises(command.Problem) as failed:
        command.release_phase("demo", [str(release), "--", "echo migrating with $SECRET_KEY; exit 3",
                                       "touch %s" % marker])
    message = str(failed.value)
    assert message.startswith("release command `echo migrating with $SECRET_KEY; exit 3` failed (exit 3)")
    assert "migrating with ********" in message and SECRET not in message + capsys.readouterr().out
    assert not marker.exists(), "a command after the one that failed ran"


def test_the_release_phase_needs_a_release_and_commands(command):
    with pytest.raises(command.Problem, match="usage"):
        command.release_phase("demo", [str(command.test_root / "srv/releases/r1")])
    with pytest.raises(command.Problem, match="does not exist"):
        command.release_phase("demo", [str(command.test_root / "nowhere"), "--", "true"])


def test_help_and_unknown_commands(command, capsys):
    assert command.main(["--help"]) == 0
    assert "flaskstack APP run -- CMD" in capsys.readouterr().out
    with pytest.raises(command.Problem, match="unknown command 'restart'") as unknown:
        command.main(["demo", "restart"])
    assert unknown.value.status == 2


def test_status_under_supervisor_shows_the_apps_programs_only(command, monkeypatch, capsys):
    shown = ("flaskstack-demo                                   RUNNING   pid 10, uptime 0:01:00\n"
             "flaskstack-demo.worker:flaskstack-demo.worker_1   RUNNING   pid 11, uptime 0:01:00\n"
             "flaskstack-demo2                                  RUNNING   pid 12, uptime 0:01:00\n"
             "flaskstack-demo2.worker:flaskstack-demo2.worker_1 FATAL     Exited too quickly\n")

    class Shown:
        stdout = shown

    monkeypatch.setattr(command.subprocess, "run", lambda *args, **kwargs: Shown)
    description = dict(command.app("demo")[0], manager="supervisor")
    assert command.manager_status(description) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["flaskstack-demo", "flaskstack-demo.worker:flaskstack-demo.worker_1"]
    Shown.stdout = shown.replace("worker_1   RUNNING   pid 11, uptime 0:01:00", "worker_1   BACKOFF   Exited too quickly")
    assert command.manager_status(description) == 3
