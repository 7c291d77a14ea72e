# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gunicorn_config module run in-process, as Ansible runs it, on real files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskstack.deploy.plugins.modules import gunicorn_config

OLD = b"# a working config someone depends on\nworkers = 3\nbind = ['unix:/run/app/gunicorn.sock']\n"


def run(capsys, check_mode=False, diff=False, **args):
    """Run the module with these arguments; return its JSON result."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            gunicorn_config.main()
    out = capsys.readouterr().out
    return json.loads(out)


@pytest.fixture()
def old_file(tmp_path):
    path = tmp_path / "gunicorn.conf.py"
    path.write_bytes(OLD)
    return path


def venv_of_this_python():
    return sys.prefix


def test_writes_then_is_idempotent_byte_for_byte(capsys, tmp_path):
    path = tmp_path / "gunicorn.conf.py"
    settings = {"workers": 2, "bind": "unix:/run/app/gunicorn.sock", "worker_class": "gthread", "threads": 4}
    first = run(capsys, path=str(path), settings=settings)
    assert first["changed"] is True
    written = path.read_bytes()
    second = run(capsys, path=str(path), settings=settings)
    assert second["changed"] is False
    assert path.read_bytes() == written
    assert second["settings"]["threads"] == 4


def test_check_mode_shows_the_exact_diff_and_writes_nothing(capsys, old_file):
    result = run(capsys, check_mode=True, diff=True, path=str(old_file), settings={"workers": 4})
    assert result["changed"] is True
    assert result["diff"]["before"] == OLD.decode()
    assert result["diff"]["after"].endswith("workers = 4\n")
    assert old_file.read_bytes() == OLD
    # What check mode promised is what a real run writes.
    real = run(capsys, diff=True, path=str(old_file), settings={"workers": 4})
    assert real["diff"]["after"] == old_file.read_text()
    assert real["diff"] == result["diff"]


def test_check_mode_on_a_missing_directory_reports_the_change(capsys, tmp_path):
    result = run(capsys, check_mode=True, path=str(tmp_path / "not-yet" / "gunicorn.conf.py"), settings={"workers": 2})
    assert result["changed"] is True
    assert not (tmp_path / "not-yet").exists()


def test_missing_directory_fails_without_check_mode(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "nope" / "gunicorn.conf.py"), settings={"workers": 2})
    assert result["failed"] is True
    assert "path: the directory" in result["msg"]


def test_workers_auto_is_resolved_on_the_target(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "g.py"), settings={"workers": "auto"})
    assert result["settings"]["workers"] == 2 * gunicorn_config.cpu_count() + 1


def test_backup_keeps_the_previous_file(capsys, old_file):
    result = run(capsys, path=str(old_file), settings={"workers": 4}, backup=True)
    assert result["changed"] is True
    with open(result["backup_file"], "rb") as handle:
        assert handle.read() == OLD
    assert old_file.read_bytes() != OLD


def test_state_absent_removes_the_file_and_is_idempotent(capsys, old_file):
    check = run(capsys, check_mode=True, path=str(old_file), state="absent")
    assert check["changed"] is True and old_file.exists()
    result = run(capsys, path=str(old_file), state="absent")
    assert result["changed"] is True
    assert not old_file.exists()
    assert run(capsys, path=str(old_file), state="absent")["changed"] is False


def test_file_mode_is_applied_and_counts_as_a_change(capsys, tmp_path):
    path = tmp_path / "g.py"
    run(capsys, path=str(path), settings={"workers": 2}, mode="0600")
    assert oct(os.stat(str(path)).st_mode & 0o777) == "0o600"
    result = run(capsys, path=str(path), settings={"workers": 2}, mode="0640")
    assert result["changed"] is True
    assert oct(os.stat(str(path)).st_mode & 0o777) == "0o640"


def test_secrets_never_reach_the_output(capsys, tmp_path):
    path = tmp_path / "g.py"
    result = run(capsys, diff=True, path=str(path),
                 settings={"raw_env": {"DB_PASSWORD": "s3cr3t-value", "MODE": "prod"}},
                 secret_env_keys=["DB_PASSWORD"])
    shown = json.dumps(result)
    assert "s3cr3t-value" not in shown
    assert "DB_PASSWORD=********" in result["diff"]["after"]
    assert "MODE=prod" in result["diff"]["after"]
    assert "DB_PASSWORD=s3cr3t-value" in path.read_text()


def test_hide_env_masks_every_value(capsys, tmp_path):
    result = run(capsys, diff=True, path=str(tmp_path / "g.py"),
                 settings={"raw_env": ["TOKEN=abc123xyz", "REGION=eu-west-9"]}, hide_env=True)
    assert "abc123xyz" not in json.dumps(result)
    assert "eu-west-9" not in json.dumps(result)


def test_validate_loads_the_file_with_gunicorn(capsys, tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn is in requirements-dev.txt; validation runs it")
    path = tmp_path / "g.py"
    result = run(capsys, path=str(path), settings={"workers": 2, "worker_class": "gthread", "threads": 2},
                 hooks={"when_ready": "server.log.info('ready')"},
                 validate=True, gunicorn=venv_of_this_python())
    assert result["changed"] is True
    assert "def when_ready(server):" in path.read_text()
    import gunicorn  # pylint: disable=import-outside-toplevel
    assert result["gunicorn_version"] == gunicorn.__version__


def test_validate_failure_leaves_the_old_file(capsys, old_file):
    pytest.importorskip("gunicorn", reason="gunicorn is in requirements-dev.txt; validation runs it")
    # Passes the catalogue (a string), but gunicorn's own loader refuses the address.
    result = run(capsys, path=str(old_file), settings={"statsd_host": "host:not-a-port"},
                 validate=True, gunicorn=venv_of_this_python())
    assert result["failed"] is True
    assert "gunicorn refused the new config" in result["msg"]
    assert old_file.read_bytes() == OLD
    assert [name for name in os.listdir(str(old_file.parent)) if name.startswith(".gunicorn_config")] == []


def test_worker_class_package_must_be_importable(capsys, old_file):
    try:
        import gevent  # noqa: F401  pylint: disable=unused-import
        pytest.skip("gevent is importable here; this test needs an environment without it")
    except ImportError:
        pass
    result = run(capsys, path=str(old_file), settings={"worker_class": "gevent"}, gunicorn=venv_of_this_python())
    assert result["failed"] is True
    assert "worker_class: 'gevent' cannot be loaded by" in result["msg"]
    # gunicorn's own reason follows, e.g. "gevent worker requires gevent 24.10.1 or higher".
    assert re.search(r"cannot be loaded by \S+: .*gevent", result["msg"]), result["msg"]
    assert "it needs the Python packages gevent, packaging" in result["msg"]
    assert old_file.read_bytes() == OLD


def test_custom_worker_class_must_be_importable(capsys, old_file):
    pytest.importorskip("gunicorn", reason="gunicorn is in requirements-dev.txt; the check runs it")
    result = run(capsys, path=str(old_file), settings={"worker_class": "mysite.workers.FastWorker"},
                 gunicorn=venv_of_this_python())
    assert result["failed"] is True
    assert "worker_class: 'mysite.workers.FastWorker' cannot be loaded by" in result["msg"]
    assert "No module named 'mysite'" in result["msg"]
    assert old_file.read_bytes() == OLD


def test_builtin_worker_classes_load(capsys, tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn is in requirements-dev.txt; the check runs it")
    for worker_class in ("sync", "gthread"):
        result = run(capsys, path=str(tmp_path / "g.py"), settings={"worker_class": worker_class},
                     gunicorn=venv_of_this_python())
        assert not result.get("failed"), result


BAD = [
    ({"settings": {"wokers": 4}}, "wokers: unknown gunicorn setting (did you mean workers?)"),
    ({"settings": {"max-requests": 4}}, "(did you mean max_requests?)"),
    ({"settings": {"workers": -2}}, "workers: -2 is below the minimum of 1"),
    ({"settings": {"workers": "lots"}}, "workers: expected a positive integer or 'auto'"),
    ({"settings": {"timeout": "30s"}}, "timeout: expected an integer"),
    ({"settings": {"limit_request_line": 10000}}, "limit_request_line: 10000 is above gunicorn's maximum of 8190"),
    ({"settings": {"preload_app": "perhaps"}}, "preload_app: expected a boolean"),
    ({"settings": {"bind": "unix:relative.sock"}}, "bind: 'unix:relative.sock' is not a valid address"),
    ({"settings": {"bind": "localhost:0"}}, "the port must be a number from 1 to 65535"),
    ({"settings": {"bind": "fe80::1:8000"}}, "an IPv6 address must be in brackets"),
    ({"settings": {"bind": "fd://x"}}, "fd:// needs a file descriptor number"),
    ({"settings": {"daemon": True}, "process_manager": "systemd"}, "daemon: must be false under systemd"),
    ({"settings": {"daemon": True}, "process_manager": "supervisor"}, "daemon: must be false under supervisor"),
    ({"settings": {"threads": 8}}, "threads: 8 with worker_class 'sync': gunicorn silently switches to the gthread worker"),
    ({"settings": {"worker_class": "eventlet"}}, "worker_class: 'eventlet' was removed in gunicorn 26"),
    ({"settings": {"worker_class": "geventt"}}, "(did you mean gevent?)"),
    ({"settings": {"loglevel": "loud"}}, "loglevel: 'loud' is not one of"),
    ({"settings": {"errorlog": "error.log"}}, "errorlog: expected '-'"),
    ({"settings": {"raw_env": ["NO_VALUE"]}}, "raw_env: 'NO_VALUE' is not KEY=value"),
    ({"settings": {"umask": "rwx"}}, "umask: expected an octal mode"),
    ({"settings": {"config": "/x.py"}}, "config: only works on gunicorn's command line"),
    ({"settings": {"max_requests_jitter": 10}}, "max_requests_jitter: has no effect without max_requests"),
    ({"hooks": {"post_fork": "def broken(:"}}, "hooks.post_fork: Python syntax error"),
    ({"hooks": {"on_startup": "pass"}}, "hooks.on_startup: 'on_startup' is not a gunicorn server hook (did you mean on_starting?)"),
    ({"settings": {"workers": 2}, "gunicorn": "/nonexistent/venv"}, "gunicorn: /nonexistent/venv does not exist on the target"),
    ({"settings": {"workers": 2}, "validate": True}, "validate is True but all of the following are missing: gunicorn"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[str(case[0])[:50] for case in BAD])
def test_bad_input_fails_and_leaves_the_file_byte_identical(capsys, old_file, args, message):
    before = os.stat(str(old_file))
    result = run(capsys, path=str(old_file), **args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert old_file.read_bytes() == OLD
    assert os.stat(str(old_file)).st_mtime_ns == before.st_mtime_ns
    assert sorted(os.listdir(str(old_file.parent))) == ["gunicorn.conf.py"]


def test_there_are_at_least_twenty_distinct_bad_inputs():
    assert len({json.dumps(args, sort_keys=True) for args, _message in BAD}) >= 20


def test_optional_setting_is_written_for_a_gunicorn_that_knows_it(capsys, tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn is in requirements-dev.txt; the check runs it")
    path = tmp_path / "g.py"
    result = run(capsys, path=str(path), gunicorn=venv_of_this_python(),
                 optional_settings={"control_socket": "/run/app/gunicorn.ctl"})
    assert not result.get("failed"), result
    assert result["settings"]["control_socket"] == "/run/app/gunicorn.ctl"
    assert "control_socket = '/run/app/gunicorn.ctl'" in path.read_text()


def test_optional_setting_is_left_out_for_an_older_gunicorn_and_a_required_one_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(gunicorn_config, "gunicorn_python", lambda module, location: sys.executable)
    monkeypatch.setattr(gunicorn_config, "gunicorn_version", lambda module, python: "24.1.1")
    monkeypatch.setattr(gunicorn_config, "check_worker_class", lambda module, python, worker_class: None)
    path = tmp_path / "g.py"
    result = run(capsys, path=str(path), gunicorn=str(tmp_path), settings={"workers": 2},
                 optional_settings={"control_socket": "/run/app/gunicorn.ctl"})
    assert not result.get("failed"), result
    assert "control_socket" not in result["settings"] and "control_socket" not in path.read_text()
    refused = run(capsys, path=str(path), gunicorn=str(tmp_path), settings={"control_socket": "/run/app/gunicorn.ctl"})
    assert refused["failed"] is True
    assert "control_socket: needs gunicorn 25 or newer; the target has 24.1.1" in refused["msg"]


def test_settings_override_optional_settings_and_without_gunicorn_all_are_written(capsys, tmp_path):
    path = tmp_path / "g.py"
    result = run(capsys, path=str(path), settings={"control_socket": "/run/other.ctl"},
                 optional_settings={"control_socket": "/run/app/gunicorn.ctl", "http_parser": "python"})
    assert not result.get("failed"), result
    assert result["settings"]["control_socket"] == "/run/other.ctl"
    assert result["settings"]["http_parser"] == "python"


def test_a_changed_secret_shows_neither_the_old_nor_the_new_value(capsys, tmp_path):
    path = tmp_path / "g.py"
    run(capsys, path=str(path), settings={"raw_env": ["DB_PASSWORD=old-s3cret-1", "MODE=prod"]},
        secret_env_keys=["DB_PASSWORD"])
    result = run(capsys, diff=True, path=str(path), settings={"raw_env": ["DB_PASSWORD=new-s3cret-2", "MODE=prod"]},
                 secret_env_keys=["DB_PASSWORD"])
    assert result["changed"] is True
    shown = json.dumps(result)
    assert "old-s3cret-1" not in shown and "new-s3cret-2" not in shown
    assert "DB_PASSWORD=********" in result["diff"]["before"]
    assert "DB_PASSWORD=new-s3cret-2" in path.read_text()


def load_with_gunicorn(path):
    """The settings gunicorn's own loader reads from the file, as its master does."""
    pytest.importorskip("gunicorn", reason="gunicorn is in requirements-dev.txt; loading runs it")
    namespace = {}
    exec(compile(gunicorn_config.CHECK_SCRIPT.replace('if __name__ == "__main__":', "if False:"), "check", "exec"),
         namespace)
    return namespace["load_file"](str(path))


def test_the_environment_file_is_read_at_every_load_and_kept_out_of_the_config(capsys, tmp_path):
    environment = tmp_path / "environment"
    environment.write_text("# the app's\nSECRET_KEY=first-s3cret\nGREETING=a=b c\n")
    path = tmp_path / "g.py"
    result = run(capsys, diff=True, path=str(path), settings={"raw_env": ["MODE=prod"]},
                 environment_file=str(environment), validate=True, gunicorn=venv_of_this_python())
    assert result["changed"] is True, result
    assert "first-s3cret" not in path.read_text() and "first-s3cret" not in json.dumps(result)
    assert load_with_gunicorn(path).env == {"MODE": "prod", "SECRET_KEY": "first-s3cret", "GREETING": "a=b c"}
    # A reload loads the file again: the new values, and a removed variable gone.
    environment.write_text("SECRET_KEY=second-s3cret\n")
    assert load_with_gunicorn(path).env == {"MODE": "prod", "SECRET_KEY": "second-s3cret"}
    assert run(capsys, path=str(path), settings={"raw_env": ["MODE=prod"]},
               environment_file=str(environment))["changed"] is False


def test_a_missing_environment_file_gives_no_variables(capsys, tmp_path):
    path = tmp_path / "g.py"
    run(capsys, path=str(path), settings={"workers": 2}, environment_file=str(tmp_path / "none"))
    assert load_with_gunicorn(path).env == {}
