# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address peers use: the default IPv4 one, or the one a network or an interface name picks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.flaskstack.deploy.plugins.filter.peer_address import FilterModule

peer_address = FilterModule().filters()["peer_address"]

# A server with a public interface (default route) and a private one, as the facts show them.
TWO_NETWORKS = {
    "default_ipv4": {"address": "203.0.113.10", "interface": "eth0"},
    "all_ipv4_addresses": ["203.0.113.10", "10.20.0.5"],
    "all_ipv6_addresses": ["fe80::1", "2001:db8::10"],
    "interfaces": ["lo", "eth0", "ens-private"],
    "eth0": {"ipv4": {"address": "203.0.113.10"}, "ipv6": [{"address": "2001:db8::10", "scope": "global"}]},
    "ens_private": {"ipv4": {"address": "10.20.0.5"}},
}
# An IPv6-only server: no default IPv4 route, no IPv4 address.
IPV6_ONLY = {
    "default_ipv4": {},
    "all_ipv4_addresses": [],
    "all_ipv6_addresses": ["fe80::2", "fd00:10::7"],
    "interfaces": ["lo", "eth0"],
    "eth0": {"ipv6": [{"address": "fe80::2", "scope": "link"}, {"address": "fd00:10::7", "scope": "global"}]},
}


def host(facts, choice=None):
    host_vars = {"inventory_hostname": "web1", "ansible_facts": facts}
    if choice is not None:
        host_vars["flaskstack_peer_network"] = choice
    return host_vars


@pytest.mark.parametrize("choice, address", [
    (None, "203.0.113.10"),
    ("", "203.0.113.10"),
    ("10.20.0.0/16", "10.20.0.5"),
    ("10.20.0.5/32", "10.20.0.5"),
    ("203.0.113.0/24", "203.0.113.10"),
    ("2001:db8::/32", "2001:db8::10"),
    ("ens-private", "10.20.0.5"),
    ("eth0", "203.0.113.10"),
])
def test_the_default_or_the_chosen_address(choice, address):
    assert peer_address(host(TWO_NETWORKS, choice)) == address


def test_an_ipv6_only_host_works_with_a_network_or_an_interface():
    assert peer_address(host(IPV6_ONLY, "fd00:10::/64")) == "fd00:10::7"
    assert peer_address(host(IPV6_ONLY, "eth0")) == "fd00:10::7"


def test_an_ipv6_only_host_without_a_choice_is_refused_saying_what_to_set():
    with pytest.raises(AnsibleFilterError, match=r"^web1 has no default IPv4 address \(an IPv6-only host\?\): "
                                                 r"set flaskstack_peer_network to"):
        peer_address(host(IPV6_ONLY))


@pytest.mark.parametrize("choice, message", [
    ("192.168.0.0/16", r"^flaskstack_peer_network of web1: no address of the host is in 192.168.0.0/16 "
                       r"\(203.0.113.10, 10.20.0.5, 2001:db8::10\)"),
    ("eth9", r"^flaskstack_peer_network of web1: 'eth9' is neither a network in CIDR form \(10.0.0.0/24\) nor an "
             r"interface of the host \(ens-private, eth0, lo\)"),
    ("10.20.0.0/33", r"'10.20.0.0/33' is neither a network in CIDR form"),
])
def test_a_choice_that_matches_nothing_is_refused_naming_what_the_host_has(choice, message):
    with pytest.raises(AnsibleFilterError, match=message):
        peer_address(host(TWO_NETWORKS, choice))


def test_an_interface_without_an_address_is_refused():
    facts = dict(TWO_NETWORKS, ens_private={"ipv6": [{"address": "fe80::3", "scope": "link"}]})
    with pytest.raises(AnsibleFilterError, match="interface ens-private has no IPv4 or global IPv6 address"):
        peer_address(host(facts, "ens-private"))


def test_facts_not_gathered_are_named():
    with pytest.raises(AnsibleFilterError, match=r"the network facts of web1 are not gathered"):
        peer_address({"inventory_hostname": "web1", "ansible_facts": {}})
