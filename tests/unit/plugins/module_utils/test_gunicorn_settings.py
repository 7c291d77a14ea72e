# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalogue, validation and rendering of gunicorn settings, without Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import gunicorn_settings as gs


# --- normalizing good values ---------------------------------------------

@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("workers", 4, 4),
        ("workers", "4", 4),
        ("workers", "auto", 2 * 3 + 1),
        ("workers", "AUTO", 2 * 3 + 1),
        ("threads", 8, 8),
        ("timeout", 0, 0),
        ("backlog", "2048", 2048),
        ("limit_request_line", 8190, 8190),
        ("limit_request_line", 0, 0),
        ("preload_app", True, True),
        ("preload_app", "yes", True),
        ("preload_app", "false", False),
        ("reuse_port", 0, False),
        ("bind", "unix:/run/app/gunicorn.sock", ["unix:/run/app/gunicorn.sock"]),
        ("bind", "127.0.0.1:8000", ["127.0.0.1:8000"]),
        ("bind", "[::1]:8000", ["[::1]:8000"]),
        ("bind", "fd://3", ["fd://3"]),
        ("bind", ["localhost:8000", "unix:/run/a.sock"], ["localhost:8000", "unix:/run/a.sock"]),
        ("bind", "localhost", ["localhost"]),
        ("worker_class", "gthread", "gthread"),
        ("worker_class", "gevent", "gevent"),
        ("worker_class", "uvicorn.workers.UvicornWorker", "uvicorn.workers.UvicornWorker"),
        ("umask", "0o007", 0o007),
        ("umask", "027", 0o027),
        ("umask", 18, 18),
        ("raw_env", ["A=1", "B=two"], ["A=1", "B=two"]),
        ("raw_env", {"B": "two", "A": 1}, ["A=1", "B=two"]),
        ("raw_env", "A=1", ["A=1"]),
        ("forwarded_allow_ips", "127.0.0.1, ::1", "127.0.0.1,::1"),
        ("forwarded_allow_ips", ["10.0.0.1", "10.0.0.2"], "10.0.0.1,10.0.0.2"),
        ("reload_extra_files", "/srv/a.py", ["/srv/a.py"]),
        ("accesslog", "-", "-"),
        ("accesslog", "", None),
        ("accesslog", None, None),
        ("accesslog", "/var/log/app/access.log", "/var/log/app/access.log"),
        ("loglevel", "warning", "warning"),
        ("proxy_protocol", True, "auto"),
        ("proxy_protocol", "v2", "v2"),
        ("secure_scheme_headers", {"X-B": "b", "X-A": "a"}, {"X-A": "a", "X-B": "b"}),
        ("chdir", "/srv/app", "/srv/app"),
        ("user", "www", "www"),
        ("user", 1000, 1000),
        ("http_protocols", ["h1", "h2"], "h1,h2"),
    ],
)
def test_good_values_are_normalized(name, value, expected):
    assert gs.normalize_value(name, value, cpu_count=3) == expected


def test_auto_workers_follow_the_cpu_count():
    assert [gs.cpu_workers(n) for n in (1, 2, 4, 16)] == [3, 5, 9, 33]
    assert gs.cpu_workers(0) == 3


def test_every_catalogued_setting_has_a_rule():
    kinds = set()
    for name, setting in gs.SETTINGS.items():
        kinds.add(setting.kind)
        assert setting.section, name
    assert kinds <= {"int", "workers", "bool", "str", "log_target", "abspath", "str_list", "choice",
                     "bind", "worker_class", "dotted", "csv", "user", "mode", "dict", "env", "proxy_protocol"}


def test_catalogue_matches_installed_gunicorn():
    """Every setting the installed gunicorn knows is catalogued, and vice versa."""
    config = pytest.importorskip("gunicorn.config", reason="gunicorn is in requirements-dev.txt; needed to compare")
    known = {s.name for s in config.KNOWN_SETTINGS}
    hooks = {name for name in known if name in gs.HOOKS}
    settings = known - hooks - set(gs.COMMAND_LINE_ONLY)
    assert sorted(settings - set(gs.SETTINGS)) == []
    assert sorted(set(gs.SETTINGS) - settings) == []
    assert hooks == set(gs.HOOKS)


# --- bad values: message names the setting and says what is wrong ---------

BAD_INPUTS = [
    ({"wokers": 4}, "wokers: unknown gunicorn setting (did you mean workers?)"),
    ({"Workers": 4}, "Workers: unknown gunicorn setting (did you mean workers?)"),
    ({"max-requests": 10}, "unknown gunicorn setting (did you mean max_requests?)"),
    ({"bogus_thing": 1}, "bogus_thing: unknown gunicorn setting"),
    ({3: 1}, "3: a setting name must be a string"),
    ({"workers": -1}, "workers: -1 is below the minimum of 1"),
    ({"workers": 0}, "workers: 0 is below the minimum of 1"),
    ({"workers": "many"}, "workers: expected a positive integer or 'auto'"),
    ({"workers": 2.5}, "workers: expected a positive integer or 'auto' (2 x cores + 1), got float 2.5"),
    ({"timeout": "30s"}, "timeout: expected an integer, got string '30s'"),
    ({"threads": True}, "threads: expected an integer, got boolean True"),
    ({"limit_request_line": 9000}, "limit_request_line: 9000 is above gunicorn's maximum of 8190"),
    ({"limit_request_fields": 40000}, "limit_request_fields: 40000 is above gunicorn's maximum of 32768"),
    ({"preload_app": "maybe"}, "preload_app: expected a boolean (true/false), got string 'maybe'"),
    ({"bind": "0.0.0.0"}, None),  # a valid address; exposure is the role's business
    ({"bind": "unix:run/app.sock"}, "bind: 'unix:run/app.sock' is not a valid address: a unix socket needs an absolute path"),
    ({"bind": "127.0.0.1:99999"}, "bind: '127.0.0.1:99999' is not a valid address: the port must be a number from 1 to 65535"),
    ({"bind": "::1:8000"}, "bind: '::1:8000' is not a valid address: an IPv6 address must be in brackets"),
    ({"bind": "[::1:8000"}, "bind: '[::1:8000' is not a valid address: an IPv6 address needs a closing bracket"),
    ({"bind": "fd://three"}, "bind: 'fd://three' is not a valid address: fd:// needs a file descriptor number"),
    ({"bind": "300.1.1.1:80"}, "bind: '300.1.1.1:80' is not a valid address: '300.1.1.1' is not an IPv4 address"),
    ({"bind": []}, "bind: needs at least one address"),
    ({"bind": 8000}, "bind: expected a list of strings, got integer 8000"),
    ({"worker_class": "eventlet"}, "worker_class: 'eventlet' was removed in gunicorn 26"),
    ({"worker_class": "gthreads"}, "worker_class: 'gthreads' is not a gunicorn worker class"),
    ({"worker_class": "gthreads"}, "(did you mean gthread?)"),
    ({"loglevel": "verbose"}, "loglevel: 'verbose' is not one of debug, info, warning, error, critical"),
    ({"accesslog": "access.log"}, "accesslog: expected '-' (stdout/stderr, for systemd's journal or supervisor) or an absolute file path, or '' for none"),
    ({"chdir": "srv/app"}, "chdir: expected an absolute path, got 'srv/app'"),
    ({"umask": "0o999"}, "umask: expected an octal mode"),
    ({"raw_env": ["NOEQUALS"]}, "raw_env: 'NOEQUALS' is not KEY=value with a valid variable name"),
    ({"raw_env": ["1BAD=x"]}, "raw_env: '1BAD' is not KEY=value"),
    ({"secure_scheme_headers": ["X-Forwarded-Proto"]}, "secure_scheme_headers: expected a dict, got list"),
    ({"config": "/etc/gunicorn.conf.py"}, "config: only works on gunicorn's command line"),
    ({"post_fork": "pass"}, "post_fork: is a server hook; give its Python body under hooks"),
    ({"daemon": True}, "daemon: must be false under systemd"),
    ({"threads": 4}, "threads: 4 with worker_class 'sync': gunicorn silently switches to the gthread worker"),
    ({"threads": 4, "worker_class": "sync"}, "set worker_class: gthread"),
    ({"max_requests_jitter": 50}, "max_requests_jitter: has no effect without max_requests > 0"),
    ({"http_protocols": ["h3"]}, "http_protocols: 'h3' is not one of h1, h2"),
    ({"logger_class": "not a class"}, "logger_class: expected a dotted path to a class"),
]


@pytest.mark.parametrize("settings, message", [case for case in BAD_INPUTS if case[1]],
                         ids=lambda v: str(v)[:40])
def test_bad_input_is_refused_with_a_message_naming_it(settings, message):
    with pytest.raises(gs.SettingsError) as caught:
        gs.validate(settings, process_manager="systemd", cpu_count=2)
    assert message in str(caught.value)


def test_public_bind_is_valid_for_the_module():
    assert gs.validate({"bind": "0.0.0.0:8000"}) == {"bind": ["0.0.0.0:8000"]}


def test_every_problem_is_reported_at_once():
    with pytest.raises(gs.SettingsError) as caught:
        gs.validate({"wokers": 1, "timeout": "x", "bind": "unix:rel"})
    assert len(caught.value.errors) == 3


def test_daemon_is_fine_without_a_process_manager():
    assert gs.validate({"daemon": True}, process_manager="none") == {"daemon": True}


def test_settings_must_be_a_dict():
    with pytest.raises(gs.SettingsError, match="settings: expected a dict"):
        gs.validate(["workers=2"])


# --- hooks ------------------------------------------------------------------

@pytest.mark.parametrize(
    "hooks, message",
    [
        ({"post_forks": "pass"}, "hooks.post_forks: 'post_forks' is not a gunicorn server hook (did you mean post_fork?)"),
        ({"when_ready": "server.log.info('up'"}, "hooks.when_ready: Python syntax error on line 1 of the body"),
        ({"on_exit": "x = 1\n  y = 2"}, "hooks.on_exit: Python syntax error on line 2 of the body"),
        ({"pre_fork": ""}, "hooks.pre_fork: the body must be Python source text"),
        ({"pre_fork": 42}, "hooks.pre_fork: the body must be Python source text"),
    ],
)
def test_bad_hooks_are_refused(hooks, message):
    with pytest.raises(gs.SettingsError) as caught:
        gs.validate({}, hooks)
    assert message in str(caught.value)


def test_hook_gets_gunicorns_arguments():
    text = gs.render({}, {"post_request": "worker.log.info(req.path)"})
    assert "def post_request(worker, req, environ, resp):\n    worker.log.info(req.path)\n" in text


# --- rendering ----------------------------------------------------------------

def test_rendering_is_sorted_valid_python_and_stable():
    settings = gs.validate({"workers": 3, "bind": ["unix:/run/a.sock"], "umask": "0o007",
                            "raw_env": {"B": "2", "A": "1"}, "preload_app": True})
    first = gs.render(settings, {"when_ready": "server.log.info('ready')"})
    second = gs.render(dict(reversed(list(settings.items()))), {"when_ready": "server.log.info('ready')"})
    assert first == second
    tree = ast.parse(first)
    assigned = [node.targets[0].id for node in tree.body if isinstance(node, ast.Assign)]
    assert assigned == sorted(assigned)
    assert first.startswith("# Gunicorn configuration.\n# Managed by Ansible")
    assert "umask = 0o007\n" in first
    assert "raw_env = ['A=1', 'B=2']\n" in first


@pytest.mark.parametrize("value", ["it's", 'say "hi"', "back\\slash", "ünïcode", "new\nline"])
def test_strings_render_as_python_literals(value):
    text = gs.render({"proc_name": value})
    namespace = {}
    exec(compile(text, "<config>", "exec"), namespace)  # pylint: disable=exec-used
    assert namespace["proc_name"] == value


def test_rendered_config_loads_in_gunicorn(tmp_path):
    """Gunicorn's own loader, run by the module's own check script, accepts it value for value."""
    pytest.importorskip("gunicorn.app.base", reason="gunicorn is in requirements-dev.txt; needed to load configs")
    from ansible_collections.flaskstack.deploy.plugins.modules.gunicorn_config import CHECK_SCRIPT
    settings = gs.validate({
        "bind": ["unix:/run/app/gunicorn.sock", "127.0.0.1:8001"], "workers": "auto", "worker_class": "gthread",
        "threads": 4, "umask": "0o007", "raw_env": {"A": "1"}, "forwarded_allow_ips": "127.0.0.1",
        "max_requests": 1000, "max_requests_jitter": 50, "accesslog": "-", "loglevel": "warning",
        "proxy_allow_ips": ["127.0.0.1", "::1"], "forwarder_headers": ["SCRIPT_NAME", "PATH_INFO"],
        "secure_scheme_headers": {"X-FORWARDED-PROTO": "https"}, "limit_request_line": 8190,
    }, {"post_fork": "server.log.info('forked %s', worker.pid)"}, cpu_count=2)
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(gs.render(settings, {"post_fork": "server.log.info('forked %s', worker.pid)"}))
    namespace = {"__name__": "check_script"}
    exec(compile(CHECK_SCRIPT, "check_script", "exec"), namespace)  # pylint: disable=exec-used
    cfg = namespace["load_file"](str(path))
    assert cfg.workers == 5
    assert cfg.threads == 4
    assert cfg.umask == 0o007
    assert cfg.address[0] == "/run/app/gunicorn.sock"
    assert cfg.env == {"A": "1"}
    assert callable(cfg.post_fork)
    assert cfg.forwarded_allow_ips == ["127.0.0.1"]
    assert cfg.proxy_allow_ips == ["127.0.0.1", "::1"]


# --- secrets --------------------------------------------------------------

def test_secret_env_values_are_masked_for_output():
    settings = gs.validate({"raw_env": {"DB_PASSWORD": "hunter2", "MODE": "prod"}})
    shown = gs.mask_env(settings, ["DB_PASSWORD"])
    assert shown["raw_env"] == ["DB_PASSWORD=********", "MODE=prod"]
    assert gs.secret_values(settings, ["DB_PASSWORD"]) == ["hunter2"]
    assert gs.mask_env(settings, [], mask_all=True)["raw_env"] == ["DB_PASSWORD=********", "MODE=********"]
    assert settings["raw_env"] == ["DB_PASSWORD=hunter2", "MODE=prod"]


def test_suggestions_only_for_near_misses():
    assert gs.suggest("timout", gs.SETTINGS) == " (did you mean timeout?)"
    assert gs.suggest("zzzzzz", gs.SETTINGS) == ""


# --- versions ---------------------------------------------------------------

def test_settings_newer_than_the_target_are_refused():
    errors = gs.unsupported({"control_socket": "/run/a.ctl", "workers": 2}, {"dirty_post_fork": "pass"}, "23.0.0")
    assert errors == [
        "control_socket: needs gunicorn 25 or newer; the target has 23.0.0, which would silently ignore it",
        "hooks.dirty_post_fork: needs gunicorn 25 or newer; the target has 23.0.0, which would never call it",
    ]
    assert gs.unsupported({"control_socket": "/run/a.ctl"}, {}, "25.0.0") == []
    assert gs.unsupported({"http2_cleartext": "off"}, {}, "25.3.0") != []
    assert gs.unsupported({"workers": 2}, {}, "23.0.0") == []


@pytest.mark.parametrize("text, expected", [("23.0.0", (23, 0, 0)), ("27.0.1.dev0", (27, 0, 1)), ("25", (25,))])
def test_versions_parse(text, expected):
    assert gs.parse_version(text) == expected


def test_catalogue_is_what_the_installed_gunicorn_knows():
    """The catalogue names exactly the settings and hooks of the pinned gunicorn
    (requirements-dev.txt), and marks none of them newer than it."""
    import gunicorn
    import gunicorn.config

    known = {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    catalogue = set(gs.SETTINGS) | set(gs.HOOKS) | set(gs.COMMAND_LINE_ONLY)
    assert sorted(known - catalogue) == [], "settings the catalogue lacks"
    assert sorted(catalogue - known) == [], "settings this gunicorn does not have"
    major = gs.parse_version(gunicorn.__version__)[0]
    newer = [name for name, setting in gs.SETTINGS.items() if setting.since and setting.since > major]
    newer += [name for name, since in gs.HOOKS_SINCE.items() if since > major]
    assert newer == [], "marked newer than gunicorn %s" % gunicorn.__version__
