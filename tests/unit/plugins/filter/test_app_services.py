# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backing services an app asks for: their URLs on the app server, and what each database or
Redis server gathers from every app server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.flaskstack.deploy.plugins.filter import app_services as module

FILTERS = module.FilterModule().filters()
app_services = FILTERS["app_services"]
service_requests = FILTERS["service_requests"]
remote_clients = FILTERS["remote_clients"]
ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "roles")


def facts(address, ipv6=None):
    return {"default_ipv4": {"address": address}, "all_ipv4_addresses": [address],
            "all_ipv6_addresses": [ipv6] if ipv6 else []}


HOSTVARS = {
    "web1": {"inventory_hostname": "web1", "ansible_facts": facts("10.0.0.11")},
    "web2": {"inventory_hostname": "web2", "ansible_facts": facts("10.0.0.12")},
    "db1": {"inventory_hostname": "db1", "ansible_facts": facts("10.0.0.20"), "postgresql_port": 5433},
    "cache6": {"inventory_hostname": "cache6", "ansible_facts": facts("192.0.2.30", "fd00::30"),
               "flaskstack_peer_network": "fd00::/64"},
}


def ask(service="postgresql", server="db1", app="shop", name="shop", user="shop", password="pw", variable=None):
    return {"service": service, "app": app, "server": server, "name": name, "user": user, "password": password,
            "variable": variable or ("DATABASE_URL" if service == "postgresql" else "REDIS_URL")}


def test_a_database_on_another_host_is_reached_at_its_peer_address_and_port():
    (linked,) = app_services([ask()], "web1", HOSTVARS)
    assert linked["client"] == "10.0.0.11"
    assert linked["url"] == "postgresql://shop:pw@10.0.0.20:5433/shop"


def test_a_service_on_the_app_server_itself_is_reached_on_localhost_at_the_roles_default_port():
    hostvars = dict(HOSTVARS, web1=dict(HOSTVARS["web1"]))
    (linked,) = app_services([ask(service="redis", server="web1")], "web1", hostvars)
    assert linked["client"] == "local"
    assert linked["url"] == "redis://shop:pw@127.0.0.1:6379/0"


def test_a_password_of_any_characters_comes_back_whole_from_the_url():
    password = "p@ss:w/rd ?#%&=+ é"
    (linked,) = app_services([ask(password=password, user="shop_user")], "web1", HOSTVARS)
    parts = urlsplit(linked["url"])
    assert unquote(parts.password) == password and unquote(parts.username) == "shop_user"
    assert parts.hostname == "10.0.0.20" and parts.port == 5433 and parts.path == "/shop"


def test_an_ipv6_server_is_written_in_brackets():
    (linked,) = app_services([ask(service="redis", server="cache6")], "web1", HOSTVARS)
    assert linked["url"] == "redis://shop:pw@[fd00::30]:6379/0"
    assert urlsplit(linked["url"]).hostname == "fd00::30"


def test_a_server_that_is_not_in_the_inventory_is_named():
    message = "app shop on web1: postgresql server 'db9' is not in the inventory; it must be a host of the dbservers"
    with pytest.raises(AnsibleFilterError, match=message):
        app_services([ask(server="db9")], "web1", HOSTVARS)


def test_no_request_gives_no_service():
    assert app_services([], "web1", HOSTVARS) == []


def servers(web1=(), web2=()):
    hostvars = {name: dict(values) for name, values in HOSTVARS.items()}
    for name, asked in (("web1", web1), ("web2", web2)):
        hostvars[name]["flaskstack_services"] = [dict(request, client="local" if request["server"] == name
                                                      else hostvars[name]["ansible_facts"]["default_ipv4"]["address"])
                                                 for request in asked]
    return hostvars


def test_a_database_asked_for_by_several_app_servers_is_one_entry_with_every_client():
    hostvars = servers(web1=[ask()], web2=[ask(), ask(service="redis")])
    (entry,) = service_requests(["web1", "web2"], hostvars, "postgresql", "db1")
    assert entry == {"name": "shop", "user": "shop", "password": "pw", "clients": ["10.0.0.11", "10.0.0.12"],
                     "apps": ["shop on web1", "shop on web2"], "problem": ""}
    assert service_requests(["web1", "web2"], hostvars, "postgresql", "db2") == []
    assert [entry["name"] for entry in service_requests(["web1", "web2"], hostvars, "redis", "db1")] == ["shop"]


def test_one_database_asked_for_with_another_password_is_a_problem_naming_both_apps():
    hostvars = servers(web1=[ask()], web2=[ask(app="shop2", password="other")])
    (entry,) = service_requests(["web1", "web2"], hostvars, "postgresql", "db1")
    assert entry["problem"] == ("database shop is asked for with different users or passwords by shop on web1 "
                                "and shop2 on web2")


def test_one_user_with_two_passwords_for_two_databases_is_a_problem():
    hostvars = servers(web1=[ask(name="a", user="app"), ask(app="b", name="b", user="app", password="other")])
    entries = service_requests(["web1"], hostvars, "postgresql", "db1")
    assert [entry["problem"] for entry in entries] == [
        "", "user app is asked for with different passwords by shop on web1 and b on web1"]


def test_servers_the_play_did_not_reach_or_that_ask_nothing_are_passed_over():
    hostvars = servers(web1=[ask()])
    del hostvars["web2"]["flaskstack_services"]
    assert len(service_requests(["web1", "web2", "web3"], hostvars, "postgresql", "db1")) == 1


def test_remote_clients_name_each_database_and_network_without_a_password():
    hostvars = servers(web1=[ask(server="web1")], web2=[ask(server="web1")])
    entries = service_requests(["web1", "web2"], hostvars, "postgresql", "web1")
    assert remote_clients(entries) == [{"name": "shop", "user": "shop", "client": "10.0.0.12",
                                        "source": "10.0.0.12/32"}]
    assert remote_clients([{"name": "x", "user": "x", "clients": ["fd00::1"]}])[0]["source"] == "fd00::1/128"


@pytest.mark.parametrize("role, service", [("postgresql", "postgresql"), ("redis", "redis")])
def test_the_default_port_is_the_roles_own(role, service):
    with open(os.path.join(ROLES, role, "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    name, default = module.PORT[service]
    assert defaults[name] == default
