# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backing services an app asks for (PostgreSQL, Redis): their URLs on the app server, and what
each service's server must give, gathered from every app server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urllib import quote

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskstack.deploy.plugins.filter.peer_address import peer_address

# Each service's port variable on its server (the postgresql and redis roles' own), and the
# roles' default for it (tests/unit/plugins/filter/test_app_services.py holds them to it).
PORT = {"postgresql": ("postgresql_port", 5432), "redis": ("redis_port", 6379)}
GROUP = {"postgresql": "dbservers", "redis": "redisservers"}


def _host_part(address):
    return "[%s]" % address if ":" in address else address


def _url(request, address, port):
    secret = "%s:%s" % (quote(str(request["user"]), safe=""), quote(str(request["password"]), safe=""))
    path = quote(str(request["name"]), safe="") if request["service"] == "postgresql" else "0"
    # The service's name is its URL scheme.
    return "%s://%s@%s:%s/%s" % (request["service"], secret, _host_part(address), port, path)


def app_services(requests, host, host_vars):
    """Each request of the app on host (service, app, server, name, user, password, variable) with
    the address the app connects from (client: "local" on the server itself) and the service's URL
    (url), at the port the server's inventory gives (postgresql_port, redis_port) or the role's
    default."""
    linked = []
    for request in requests or []:
        server = request["server"]
        service = request["service"]
        if server not in host_vars:
            raise AnsibleFilterError("app %s on %s: %s server %r is not in the inventory; it must be a host of the "
                                     "%s group" % (request["app"], host, service, server, GROUP[service]))
        server_vars = host_vars[server]
        name, default = PORT[service]
        port = server_vars.get(name, default)
        local = server == host
        client = "local" if local else peer_address(host_vars[host])
        address = "127.0.0.1" if local else peer_address(server_vars)
        item = dict(request)
        item.update(client=client, url=_url(request, address, int(port)))
        linked.append(item)
    return linked


def service_requests(hosts, host_vars, service, server):
    """What the app servers (hosts, with their variables in host_vars) ask of one server: for each database (PostgreSQL) or user
    (Redis), its name, user and password, the addresses it is reached from (clients, "local" for
    the server itself) and the apps that ask for it ("app on host"). An entry that apps ask for
    differently (another user or password) has a problem naming them; so has a user asked for
    with two passwords."""
    merged = {}
    for host in hosts or []:
        if host not in host_vars:
            continue
        for request in host_vars[host].get("flaskstack_services") or []:
            if request.get("service") != service or request.get("server") != server:
                continue
            name = request["name"]
            asker = "%s on %s" % (request["app"], host)
            entry = merged.setdefault(name, {"name": name, "user": request["user"], "password": request["password"],
                                             "clients": [], "apps": [], "problem": ""})
            if (entry["user"], entry["password"]) != (request["user"], request["password"]) and not entry["problem"]:
                entry["problem"] = "%s %s is asked for with different users or passwords by %s and %s" % (
                    "database" if service == "postgresql" else "user", name, entry["apps"][0], asker)
            if request["client"] not in entry["clients"]:
                entry["clients"].append(request["client"])
            entry["apps"].append(asker)
    entries = [merged[name] for name in sorted(merged)]
    passwords = {}
    for entry in entries:
        first = passwords.setdefault(entry["user"], entry)
        if first["password"] != entry["password"] and not entry["problem"]:
            entry["problem"] = "user %s is asked for with different passwords by %s and %s" % (
                entry["user"], first["apps"][0], entry["apps"][0])
    for entry in entries:
        entry["clients"].sort()
    return entries


def remote_clients(entries):
    """Each (name, user, client) of service_requests' entries whose client is another host, with
    the client as a network of one address (source), and no password."""
    return [{"name": entry["name"], "user": entry["user"], "client": client,
             "source": "%s/%d" % (client, 128 if ":" in client else 32)}
            for entry in entries or [] for client in entry.get("clients") or [] if client != "local"]


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"app_services": app_services, "service_requests": service_requests,
                "remote_clients": remote_clients}
