# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server names that two apps would share on one port, name by name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _covers(pattern, name):
    """Whether nginx's wildcard server name pattern also matches name (a name or another pattern).

    A leading and a trailing wildcard always share names: *.example.com and
    www.example.* both match www.example.com, and *.a.com and b.* both match
    b.a.com."""
    if pattern.startswith(("*.", ".")) and name.endswith(".*") or pattern.endswith(".*") and name.startswith(("*.", ".")):
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and name != pattern[1:]
    if pattern.startswith("."):
        return name == pattern[1:] or name.endswith(pattern)
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return False


def _sites(apps, defaults):
    """(app, port, names) for each port each app listens on."""
    for entry in apps:
        values = dict(defaults or {})
        values.update(entry)
        app = values.get("flaskstack_app_name", "demo")
        names = str(values.get("nginx_server_name", "_"))
        yield app, values.get("nginx_listen_port", 81), names
        if values.get("nginx_tls", "none") != "none":
            yield app, values.get("nginx_tls_port", 443), names


def server_name_clashes(apps, defaults=None):
    """Clashes between apps (entries of flaskstack_apps, each falling back to
    defaults for nginx_listen_port, nginx_server_name, nginx_tls and
    nginx_tls_port). Two apps clash on a port when they list the same name,
    or when a wildcard name of one (*.example.com, .example.com,
    www.example.*) also matches a name of the other: nginx would answer some
    of one app's requests with the other. Names that are regular expressions
    (~...) are not compared."""
    clashes = []
    seen = []
    for app, port, names in _sites(apps, defaults):
        own_names = [name.lower() for name in names.split() if not name.startswith("~")]
        for other, other_port, name in seen:
            if str(other_port) != str(port) or other == app:
                continue
            for own in own_names:
                if own == name or _covers(own, name) or _covers(name, own):
                    clashes.append("%s (app %s) and %s (app %s) on port %s" % (name, other, own, app, port))
        seen += [(app, port, name) for name in own_names]
    return clashes


def nginx_listen_sites(apps, defaults=None):
    """[port, server names] of each app's site on its listen port (entries of
    flaskstack_apps, each falling back to defaults for nginx_listen_port and
    nginx_server_name), in the apps' order. Values are as given: the role's
    checks, which run after, say what is wrong with one."""
    sites = []
    for entry in apps:
        values = dict(defaults or {})
        values.update(entry)
        sites.append([values["nginx_listen_port"], values["nginx_server_name"]])
    return sites


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"server_name_clashes": server_name_clashes, "nginx_listen_sites": nginx_listen_sites}
