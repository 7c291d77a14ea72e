# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalogue of gunicorn settings, their validation and their rendering.

Plain functions with no Ansible import, so unit tests call them directly.
The catalogue covers gunicorn 23.0 up to 27.x: gunicorn itself silently
ignores names it does not know, which is how typos in configs copied from
blog posts go unnoticed; here they are an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import difflib
import re

# Gunicorn refuses request lines longer than this (gunicorn.http.message).
MAX_REQUEST_LINE = 8190
MAX_HEADERS = 32768
MAX_FIELD_SIZE = 8190

# Worker class -> Python packages it imports beyond gunicorn itself
# (gunicorn's extras; gunicorn 27's gevent worker also imports packaging).
WORKER_PACKAGES = {
    "sync": (),
    "gthread": (),
    "gevent": ("gevent", "packaging"),
    "gevent_wsgi": ("gevent", "packaging"),
    "gevent_pywsgi": ("gevent", "packaging"),
    "tornado": ("tornado",),
    "asgi": (),
}

# Worker classes gunicorn dropped, with what to use instead.
REMOVED_WORKERS = {
    "eventlet": "was removed in gunicorn 26; use gevent (green threads) or gthread",
}


class Setting:
    """One gunicorn setting: its section, kind and constraints.

    since: the gunicorn major version that first has the setting (checked
    against the newest release of each major from 23 to 27); older versions
    ignore it without a word.
    optional: None or "" leaves the setting unset (gunicorn's own default).
    """

    def __init__(self, section, kind, minimum=None, maximum=None, choices=None, since=None, optional=False):
        self.section = section
        self.kind = kind
        self.minimum = minimum
        self.maximum = maximum
        self.choices = choices
        self.since = since
        self.optional = optional


def _s(section, kind, **kwargs):
    return Setting(section, kind, **kwargs)


SOCKET = "server socket"
WORKERS = "worker processes"
SECURITY = "security"
DEBUGGING = "debugging"
MECHANICS = "server mechanics"
LOGGING = "logging"
NAMING = "process naming"
SSL = "ssl"
HTTP2 = "http/2"
DIRTY = "dirty arbiters"
CONTROL = "control"

SETTINGS = {
    # Config file
    "wsgi_app": _s("config file", "str"),
    # Server socket
    "bind": _s(SOCKET, "bind"),
    "backlog": _s(SOCKET, "int", minimum=1),
    # Worker processes
    "workers": _s(WORKERS, "workers", minimum=1),
    "worker_class": _s(WORKERS, "worker_class"),
    "threads": _s(WORKERS, "int", minimum=1),
    "worker_connections": _s(WORKERS, "int", minimum=1),
    "max_requests": _s(WORKERS, "int", minimum=0),
    "max_requests_jitter": _s(WORKERS, "int", minimum=0),
    "timeout": _s(WORKERS, "int", minimum=0),
    "graceful_timeout": _s(WORKERS, "int", minimum=0),
    "keepalive": _s(WORKERS, "int", minimum=0),
    "asgi_loop": _s(WORKERS, "choice", choices=("auto", "asyncio", "uvloop"), since=24),
    "asgi_lifespan": _s(WORKERS, "choice", choices=("auto", "on", "off"), since=24),
    "asgi_disconnect_grace_period": _s(WORKERS, "int", minimum=0, since=25),
    "websocket_max_message_size": _s(WORKERS, "int", minimum=0, since=27),
    "http_parser": _s(WORKERS, "choice", choices=("auto", "python", "fast"), since=25),
    # Security
    "limit_request_line": _s(SECURITY, "int", minimum=0, maximum=MAX_REQUEST_LINE),
    "limit_request_fields": _s(SECURITY, "int", minimum=0, maximum=MAX_HEADERS),
    "limit_request_field_size": _s(SECURITY, "int", minimum=0, maximum=MAX_FIELD_SIZE),
    # Debugging
    "reload": _s(DEBUGGING, "bool"),
    "reload_engine": _s(DEBUGGING, "choice", choices=("auto", "poll", "inotify")),
    "reload_extra_files": _s(DEBUGGING, "str_list"),
    "spew": _s(DEBUGGING, "bool"),
    "check_config": _s(DEBUGGING, "bool"),
    "print_config": _s(DEBUGGING, "bool"),
    # Server mechanics
    "preload_app": _s(MECHANICS, "bool"),
    "sendfile": _s(MECHANICS, "bool"),
    "reuse_port": _s(MECHANICS, "bool"),
    "chdir": _s(MECHANICS, "abspath"),
    "daemon": _s(MECHANICS, "bool"),
    "raw_env": _s(MECHANICS, "env"),
    "pidfile": _s(MECHANICS, "abspath"),
    "worker_tmp_dir": _s(MECHANICS, "abspath"),
    "user": _s(MECHANICS, "user"),
    "group": _s(MECHANICS, "user"),
    "umask": _s(MECHANICS, "mode"),
    "initgroups": _s(MECHANICS, "bool"),
    "tmp_upload_dir": _s(MECHANICS, "abspath"),
    "secure_scheme_headers": _s(MECHANICS, "dict"),
    "forwarded_allow_ips": _s(MECHANICS, "csv"),
    "pythonpath": _s(MECHANICS, "str"),
    "paste": _s(MECHANICS, "str"),
    "proxy_protocol": _s(MECHANICS, "proxy_protocol"),
    "proxy_allow_ips": _s(MECHANICS, "csv"),
    "protocol": _s(MECHANICS, "choice", choices=("http", "uwsgi"), since=24),
    "uwsgi_allow_ips": _s(MECHANICS, "csv", since=24),
    "raw_paste_global_conf": _s(MECHANICS, "str_list"),
    "permit_obsolete_folding": _s(MECHANICS, "bool"),
    "strip_header_spaces": _s(MECHANICS, "bool"),
    "permit_unconventional_http_method": _s(MECHANICS, "bool"),
    "permit_unconventional_http_version": _s(MECHANICS, "bool"),
    "casefold_http_method": _s(MECHANICS, "bool"),
    "forwarder_headers": _s(MECHANICS, "csv"),
    "header_map": _s(MECHANICS, "choice", choices=("drop", "refuse", "dangerous")),
    "root_path": _s(MECHANICS, "str", since=24),
    # Logging
    "accesslog": _s(LOGGING, "log_target", optional=True),
    "disable_redirect_access_to_syslog": _s(LOGGING, "bool"),
    "access_log_format": _s(LOGGING, "str"),
    "errorlog": _s(LOGGING, "log_target"),
    "loglevel": _s(LOGGING, "choice", choices=("debug", "info", "warning", "error", "critical")),
    "capture_output": _s(LOGGING, "bool"),
    "logger_class": _s(LOGGING, "dotted"),
    "logconfig": _s(LOGGING, "abspath"),
    "logconfig_dict": _s(LOGGING, "dict"),
    "logconfig_json": _s(LOGGING, "abspath"),
    "syslog_addr": _s(LOGGING, "str"),
    "syslog": _s(LOGGING, "bool"),
    "syslog_prefix": _s(LOGGING, "str"),
    "syslog_facility": _s(LOGGING, "str"),
    "enable_stdio_inheritance": _s(LOGGING, "bool"),
    "statsd_host": _s(LOGGING, "str"),
    "dogstatsd_tags": _s(LOGGING, "str"),
    "statsd_prefix": _s(LOGGING, "str"),
    "enable_backlog_metric": _s(LOGGING, "bool", since=24),
    # Process naming
    "proc_name": _s(NAMING, "str"),
    "default_proc_name": _s(NAMING, "str"),
    # SSL
    "keyfile": _s(SSL, "abspath"),
    "certfile": _s(SSL, "abspath"),
    "ssl_version": _s(SSL, "int", minimum=0),
    "cert_reqs": _s(SSL, "int", minimum=0, maximum=2),
    "ca_certs": _s(SSL, "abspath"),
    "suppress_ragged_eofs": _s(SSL, "bool"),
    "do_handshake_on_connect": _s(SSL, "bool"),
    "ciphers": _s(SSL, "str"),
    # HTTP/2
    "http_protocols": _s(HTTP2, "csv", choices=("h1", "h2"), since=25),
    "http2_cleartext": _s(HTTP2, "choice", choices=("off", "prior_knowledge", "upgrade", "all"), since=26),
    "http2_max_concurrent_streams": _s(HTTP2, "int", minimum=1, since=25),
    "http2_initial_window_size": _s(HTTP2, "int", minimum=1, maximum=2 ** 31 - 1, since=25),
    "http2_max_frame_size": _s(HTTP2, "int", minimum=2 ** 14, maximum=2 ** 24 - 1, since=25),
    "http2_max_header_list_size": _s(HTTP2, "int", minimum=0, since=25),
    # Dirty arbiters
    "dirty_apps": _s(DIRTY, "str_list", since=25),
    "dirty_workers": _s(DIRTY, "int", minimum=0, since=25),
    "dirty_timeout": _s(DIRTY, "int", minimum=0, since=25),
    "dirty_threads": _s(DIRTY, "int", minimum=1, since=25),
    "dirty_graceful_timeout": _s(DIRTY, "int", minimum=0, since=25),
    # Control socket
    "control_socket": _s(CONTROL, "abspath", since=25),
    "control_socket_mode": _s(CONTROL, "mode", since=25),
    "control_socket_disable": _s(CONTROL, "bool", since=25),
}

# Server hook name -> the arguments gunicorn calls it with.
HOOKS = {
    "on_starting": ("server",),
    "on_reload": ("server",),
    "when_ready": ("server",),
    "pre_fork": ("server", "worker"),
    "post_fork": ("server", "worker"),
    "post_worker_init": ("worker",),
    "worker_int": ("worker",),
    "worker_abort": ("worker",),
    "pre_exec": ("server",),
    "pre_request": ("worker", "req"),
    "post_request": ("worker", "req", "environ", "resp"),
    "child_exit": ("server", "worker"),
    "worker_exit": ("server", "worker"),
    "nworkers_changed": ("server", "new_value", "old_value"),
    "on_exit": ("server",),
    "ssl_context": ("config", "default_ssl_context_factory"),
    "on_dirty_starting": ("arbiter",),
    "dirty_post_fork": ("arbiter", "worker"),
    "dirty_worker_init": ("worker",),
    "dirty_worker_exit": ("arbiter", "worker"),
}

# Hooks newer than gunicorn 23, by the major version that first has them.
HOOKS_SINCE = {
    "on_dirty_starting": 25,
    "dirty_post_fork": 25,
    "dirty_worker_init": 25,
    "dirty_worker_exit": 25,
}

# Settings whose values are options of the program, not of the config file:
# gunicorn reads them from the command line only.
COMMAND_LINE_ONLY = ("config",)

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")
_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class SettingsError(ValueError):
    """Raised with every problem found, each naming its setting."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(SettingsError, self).__init__("; ".join(self.errors))


def suggest(name, candidates):
    """Return ' (did you mean X?)' for a near miss, else ''."""
    normalized = name.strip().lower().replace("-", "_")
    if normalized in candidates and normalized != name:
        return " (did you mean %s?)" % normalized
    matches = difflib.get_close_matches(normalized, sorted(candidates), n=1, cutoff=0.7)
    if matches:
        return " (did you mean %s?)" % matches[0]
    return ""


def _kind_name(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if value is None:
        return "null"
    return type(value).__name__


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(name, value):
    """Integers, or strings of digits (YAML from templates is often a string)."""
    if _is_int(value):
        return value
    if isinstance(value, str) and re.match(r"^-?\d+$", value.strip()):
        return int(value.strip())
    raise ValueError("%s: expected an integer, got %s %r" % (name, _kind_name(value), value))


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _as_bool(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if _is_int(value) and value in (0, 1):
        return bool(value)
    raise ValueError("%s: expected a boolean (true/false), got %s %r" % (name, _kind_name(value), value))


def _as_str(name, value):
    if isinstance(value, str):
        return value
    raise ValueError("%s: expected a string, got %s %r" % (name, _kind_name(value), value))


def _as_str_list(name, value):
    """A list of strings; a comma-separated string is accepted as gunicorn does."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        out = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ValueError("%s[%d]: expected a string, got %s %r" % (name, index, _kind_name(item), item))
            out.append(item)
        return out
    raise ValueError("%s: expected a list of strings, got %s %r" % (name, _kind_name(value), value))


def _check_range(name, number, setting):
    if setting.minimum is not None and number < setting.minimum:
        raise ValueError("%s: %d is below the minimum of %d" % (name, number, setting.minimum))
    if setting.maximum is not None and number > setting.maximum:
        raise ValueError("%s: %d is above gunicorn's maximum of %d" % (name, number, setting.maximum))
    return number


def _valid_port(text):
    return text.isdigit() and 0 < int(text) < 65536


def _valid_ipv4(text):
    match = _IPV4.match(text)
    return bool(match) and all(int(part) <= 255 for part in match.groups())


def check_bind(address):
    """Return None when a gunicorn bind address is well formed, else why not.

    Accepted forms: unix:/absolute/path, host:port, host (port 8000),
    [ipv6]:port, [ipv6] and fd://N.
    """
    if not isinstance(address, str) or not address:
        return "expected a non-empty string"
    if address.startswith("unix:"):
        path = address[len("unix:"):]
        if not path.startswith("/"):
            return "a unix socket needs an absolute path (unix:/run/app/gunicorn.sock)"
        if "\x00" in path or len(path.encode("utf-8")) > 107:
            return "a unix socket path must be shorter than 108 bytes"
        return None
    if address.startswith("fd://"):
        number = address[len("fd://"):]
        if not number.isdigit():
            return "fd:// needs a file descriptor number (fd://3)"
        return None
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            return "an IPv6 address needs a closing bracket ([::1]:8000)"
        host, rest = address[1:end], address[end + 1:]
        if not host or not re.match(r"^[0-9A-Fa-f:.]+$", host) or host.count(":") < 2:
            return "%r is not an IPv6 address" % host
        if rest and not (rest.startswith(":") and _valid_port(rest[1:])):
            return "the port after ] must be a number from 1 to 65535"
        return None
    if address.count(":") > 1:
        return "an IPv6 address must be in brackets ([::1]:8000)"
    host, _sep, port = address.partition(":")
    if _sep and not _valid_port(port):
        return "the port must be a number from 1 to 65535, got %r" % port
    if not host:
        return "the host part is empty"
    if re.match(r"^[\d.]+$", host):
        if not _valid_ipv4(host):
            return "%r is not an IPv4 address" % host
    elif not _HOSTNAME.match(host):
        return "%r is not a host name" % host
    return None


def _parse_mode(name, value):
    if _is_int(value):
        number = value
    elif isinstance(value, str) and re.match(r"^(0o)?[0-7]{1,4}$", value.strip()):
        number = int(value.strip().replace("0o", ""), 8)
    else:
        raise ValueError("%s: expected an octal mode such as '0o007' or '007', got %s %r" % (name, _kind_name(value), value))
    if not 0 <= number <= 0o7777:
        raise ValueError("%s: %r is outside the mode range 0 to 0o7777" % (name, value))
    return number


def _parse_env(name, value):
    """raw_env: a list of KEY=value strings, or a dict KEY: value."""
    if isinstance(value, dict):
        items = []
        for key in sorted(value):
            val = value[key]
            if not isinstance(val, (str, int, float)) or isinstance(val, bool):
                raise ValueError("%s.%s: expected a string value, got %s" % (name, key, _kind_name(val)))
            items.append("%s=%s" % (key, val))
    else:
        items = _as_str_list(name, value) if not isinstance(value, str) else [value]
    for item in items:
        key = item.partition("=")[0]
        if "=" not in item or not _ENV_KEY.match(key):
            raise ValueError("%s: %r is not KEY=value with a valid variable name" % (name, item.partition("=")[0] if "=" in item else item))
    return items


def cpu_workers(cpu_count):
    """Gunicorn's own advice for sync workers: 2 x cores + 1."""
    return 2 * max(1, int(cpu_count)) + 1


def normalize_value(name, value, cpu_count=1):
    """Return the value as it will be written, or raise ValueError naming the setting."""
    setting = SETTINGS[name]
    kind = setting.kind
    if kind == "int":
        return _check_range(name, _as_int(name, value), setting)
    if kind == "workers":
        if isinstance(value, str) and value.strip().lower() == "auto":
            return cpu_workers(cpu_count)
        if not _is_int(value) and not (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
            raise ValueError("%s: expected a positive integer or 'auto' (2 x cores + 1), got %s %r" % (name, _kind_name(value), value))
        return _check_range(name, _as_int(name, value), setting)
    if kind == "bool":
        return _as_bool(name, value)
    if setting.optional and value in (None, ""):
        # Unset: gunicorn's own default (for accesslog, no access log).
        return None
    if kind in ("str", "log_target"):
        text = _as_str(name, value)
        if kind == "log_target" and text != "-" and not text.startswith("/"):
            raise ValueError("%s: expected '-' (stdout/stderr, for systemd's journal or supervisor) or an absolute file path%s, got %r" % (
                name, ", or '' for none" if setting.optional else "", text))
        return text
    if kind == "abspath":
        text = _as_str(name, value)
        if not text.startswith("/"):
            raise ValueError("%s: expected an absolute path, got %r" % (name, text))
        return text
    if kind in ("str_list", "csv"):
        items = _as_str_list(name, value)
        if setting.choices:
            for item in items:
                if item not in setting.choices:
                    raise ValueError("%s: %r is not one of %s" % (name, item, ", ".join(setting.choices)))
        # gunicorn reads these as one comma-separated string and refuses a list.
        return ",".join(items) if kind == "csv" else items
    if kind == "choice":
        text = _as_str(name, value)
        if text not in setting.choices:
            raise ValueError("%s: %r is not one of %s%s" % (name, text, ", ".join(setting.choices), suggest(text, setting.choices)))
        return text
    if kind == "bind":
        items = [value] if isinstance(value, str) else _as_str_list(name, value)
        if not items:
            raise ValueError("%s: needs at least one address" % name)
        for item in items:
            problem = check_bind(item)
            if problem:
                raise ValueError("%s: %r is not a valid address: %s" % (name, item, problem))
        return items
    if kind == "worker_class":
        text = _as_str(name, value)
        if text in REMOVED_WORKERS:
            raise ValueError("%s: %r %s" % (name, text, REMOVED_WORKERS[text]))
        if text not in WORKER_PACKAGES and not _DOTTED.match(text):
            raise ValueError("%s: %r is not a gunicorn worker class (%s, or a dotted path to a class)%s"
                             % (name, text, ", ".join(sorted(WORKER_PACKAGES)), suggest(text, WORKER_PACKAGES)))
        return text
    if kind == "dotted":
        text = _as_str(name, value)
        if not _DOTTED.match(text):
            raise ValueError("%s: expected a dotted path to a class, got %r" % (name, text))
        return text
    if kind == "user":
        if _is_int(value):
            return _check_range(name, value, Setting(setting.section, "int", minimum=0))
        text = _as_str(name, value)
        if not _NAME.match(text):
            raise ValueError("%s: %r is not a user or group name" % (name, text))
        return text
    if kind == "mode":
        return _parse_mode(name, value)
    if kind == "dict":
        if not isinstance(value, dict):
            raise ValueError("%s: expected a dict, got %s %r" % (name, _kind_name(value), value))
        return dict((str(k), value[k]) for k in sorted(value, key=str))
    if kind == "env":
        return _parse_env(name, value)
    if kind == "proxy_protocol":
        if isinstance(value, bool):
            return "auto" if value else "off"
        text = _as_str(name, value)
        if text not in ("off", "v1", "v2", "auto"):
            raise ValueError("%s: %r is not one of off, v1, v2, auto" % (name, text))
        return text
    raise AssertionError("no rule for kind %r" % kind)  # pragma: no cover


def check_hook(name, body):
    """Return None when a hook body compiles, else why not."""
    if name not in HOOKS:
        return "%r is not a gunicorn server hook%s" % (name, suggest(name, HOOKS))
    if not isinstance(body, str) or not body.strip():
        return "the body must be Python source text"
    source = render_hook(name, body)
    try:
        ast.parse(source, filename="<hook %s>" % name)
    except SyntaxError as exc:
        line = (exc.lineno or 2) - 1
        return "Python syntax error on line %d of the body: %s" % (line, exc.msg)
    return None


def validate(settings, hooks=None, process_manager="none", cpu_count=1):
    """Check settings and hooks; return the normalized settings.

    Raises SettingsError listing every problem, each naming its setting.
    """
    errors = []
    normalized = {}
    if not isinstance(settings, dict):
        raise SettingsError(["settings: expected a dict of gunicorn setting names to values, got %s" % _kind_name(settings)])
    for name in sorted(settings, key=str):
        value = settings[name]
        if not isinstance(name, str):
            errors.append("%r: a setting name must be a string" % (name,))
            continue
        if name in COMMAND_LINE_ONLY:
            errors.append("%s: only works on gunicorn's command line, not inside a config file" % name)
            continue
        if name in HOOKS:
            errors.append("%s: is a server hook; give its Python body under hooks, not settings" % name)
            continue
        if name not in SETTINGS:
            errors.append("%s: unknown gunicorn setting%s" % (name, suggest(name, SETTINGS)))
            continue
        try:
            normalized[name] = normalize_value(name, value, cpu_count=cpu_count)
        except ValueError as exc:
            errors.append(str(exc))

    errors.extend(_cross_checks(normalized, process_manager))
    for name in sorted(hooks or {}, key=str):
        problem = check_hook(name, (hooks or {})[name])
        if problem:
            errors.append("hooks.%s: %s" % (name, problem))
    if errors:
        raise SettingsError(errors)
    return normalized


def _cross_checks(settings, process_manager):
    errors = []
    worker_class = settings.get("worker_class", "sync")
    if settings.get("daemon") and process_manager in ("systemd", "supervisor"):
        errors.append("daemon: must be false under %s: a daemonized gunicorn leaves the process "
                      "manager's control, which then restarts it in a loop" % process_manager)
    if settings.get("threads", 1) > 1 and worker_class == "sync":
        errors.append("threads: %d with worker_class 'sync': gunicorn silently switches to the gthread "
                      "worker; set worker_class: gthread to say so" % settings["threads"])
    jitter = settings.get("max_requests_jitter", 0)
    if jitter and not settings.get("max_requests"):
        errors.append("max_requests_jitter: has no effect without max_requests > 0")
    return errors


def parse_version(text):
    """'23.0.0' -> (23, 0, 0); tolerant of suffixes like '27.0.1.dev0'."""
    parts = []
    for piece in str(text).split(".")[:3]:
        digits = re.match(r"\d+", piece)
        parts.append(int(digits.group(0)) if digits else 0)
    return tuple(parts)


def unsupported(settings, hooks, version):
    """Errors for settings and hooks newer than the given gunicorn version."""
    major = parse_version(version)[0]
    errors = []
    for name in sorted(settings):
        since = SETTINGS[name].since if name in SETTINGS else None
        if since and major < since:
            errors.append("%s: needs gunicorn %d or newer; the target has %s, which would silently ignore it"
                          % (name, since, version))
    for name in sorted(hooks or {}):
        since = HOOKS_SINCE.get(name)
        if since and major < since:
            errors.append("hooks.%s: needs gunicorn %d or newer; the target has %s, which would never call it"
                          % (name, since, version))
    return errors


def required_packages(worker_class):
    """Python packages a worker class needs importable in gunicorn's environment."""
    return WORKER_PACKAGES.get(worker_class, ())


def python_literal(value):
    """Render a normalized value as Python source, stable across runs."""
    if isinstance(value, dict):
        inner = ", ".join("%s: %s" % (python_literal(k), python_literal(value[k])) for k in sorted(value, key=str))
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    return repr(value)


def render_value(name, value):
    if SETTINGS[name].kind == "mode":
        return "0o%03o" % value
    return python_literal(value)


def render_hook(name, body):
    lines = body.strip("\n").splitlines()
    indented = "\n".join(("    " + line) if line.strip() else "" for line in lines)
    return "def %s(%s):\n%s\n" % (name, ", ".join(HOOKS[name]), indented)


HEADER = (
    "# Gunicorn configuration.\n"
    "# Managed by Ansible (flaskstack.deploy.gunicorn_config): local changes are overwritten.\n"
)


# Reads an environment file of KEY=value lines (no quoting; '#' starts a
# comment line) into raw_env when gunicorn loads its config: at start and at
# every reload (HUP), when gunicorn also drops the variables it set before.
ENVIRONMENT_READER = '''

# The app's environment: the KEY=value lines of {path},
# read again at every start and reload (HUP).
def _environment_file(path):
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    return [line for line in lines if "=" in line and not line.startswith("#")]


raw_env = {before}_environment_file({literal})
'''


def render(settings, hooks=None, environment_file=None):
    """The whole config file: header, sorted settings, then sorted hooks, then
    the reader of environment_file when given."""
    parts = [HEADER, "\n"]
    for name in sorted(settings):
        parts.append("%s = %s\n" % (name, render_value(name, settings[name])))
    for name in sorted(hooks or {}):
        parts.append("\n\n")
        parts.append(render_hook(name, hooks[name]))
    if environment_file:
        parts.append(ENVIRONMENT_READER.format(path=environment_file, literal=python_literal(environment_file),
                                               before="raw_env + " if "raw_env" in settings else ""))
    return "".join(parts)


def rendered_raw_env(text):
    """The raw_env list of a config file this module rendered, or [] (for masking an old file's values)."""
    for line in (text or "").splitlines():
        if line.startswith("raw_env = ["):
            try:
                value = ast.literal_eval(line[len("raw_env = "):])
            except (ValueError, SyntaxError):
                return []
            return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
    return []


def mask_env(settings, secret_keys, mask_all=False):
    """A copy of settings with secret raw_env values replaced, for output."""
    if "raw_env" not in settings:
        return dict(settings)
    masked = []
    for item in settings["raw_env"]:
        key = item.partition("=")[0]
        if mask_all or key in secret_keys:
            masked.append("%s=********" % key)
        else:
            masked.append(item)
    out = dict(settings)
    out["raw_env"] = masked
    return out


def secret_values(settings, secret_keys, mask_all=False):
    """Values of raw_env that must never be shown."""
    values = []
    for item in settings.get("raw_env", []):
        key, _sep, val = item.partition("=")
        if (mask_all or key in secret_keys) and val:
            values.append(val)
    return values
