# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether gunicorn addresses keep the app reachable only through nginx; empty when they do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import posixpath
import re

CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
HOST_PORT = re.compile(r"\A(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})\Z")


def _loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_problem(binds):
    """Reason these gunicorn bind addresses may not be used, or "" when they may.

    Each must be a unix socket (unix:/absolute/path), a socket systemd hands
    over (fd://N) or a loopback host:port (127.0.0.1:8000, localhost:8000,
    [::1]:8000): any other address lets clients reach the app around nginx."""
    for bind in binds if isinstance(binds, list) else [binds]:
        if not isinstance(bind, str):
            return "must be addresses (strings), not %s" % type(bind).__name__
        if CONTROL_OR_SPACE.search(bind):
            return "must not contain spaces, newlines or other control characters"
        if bind.startswith("unix:"):
            path = bind[len("unix:"):]
            if not path.startswith("/") or posixpath.normpath(path) != path or path.startswith("//"):
                return "%r must name an absolute socket path in normal form" % bind
            continue
        if re.match(r"\Afd://[0-9]+\Z", bind):
            continue
        match = HOST_PORT.match(bind)
        if not match or not 0 < int(match.group(2)) < 65536:
            return "%r must be unix:/path, fd://N or a loopback host:port such as 127.0.0.1:8000" % bind
        if not _loopback(match.group(1)):
            return ("%r lets other hosts reach the app around nginx: bind the app's socket or a loopback "
                    "address (127.0.0.1:8000, [::1]:8000)" % bind)
    return ""


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"bind_problem": bind_problem}
