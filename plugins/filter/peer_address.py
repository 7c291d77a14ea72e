# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address at which the load balancers and the app servers reach one server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError


def _addresses(facts):
    """Every address of the host, IPv4 first, as the facts list them."""
    return list(facts.get("all_ipv4_addresses") or []) + [
        address for address in facts.get("all_ipv6_addresses") or [] if not address.lower().startswith("fe80:")]


def _in_network(facts, network, host, choice):
    for address in _addresses(facts):
        try:
            if ipaddress.ip_address(address) in network:
                return address
        except ValueError:
            continue
    raise AnsibleFilterError(
        "flaskstack_peer_network of %s: no address of the host is in %s (%s); name a network or an interface "
        "that the load balancers and app servers share" % (host, choice, ", ".join(_addresses(facts)) or "none"))


def _of_interface(facts, name, host):
    interface = facts.get(name.replace("-", "_").replace(".", "_"))
    if not isinstance(interface, dict) or name not in (facts.get("interfaces") or []):
        raise AnsibleFilterError(
            "flaskstack_peer_network of %s: %r is neither a network in CIDR form (10.0.0.0/24) nor an interface "
            "of the host (%s)" % (host, name, ", ".join(sorted(facts.get("interfaces") or [])) or "none known"))
    address = (interface.get("ipv4") or {}).get("address")
    if address:
        return address
    for entry in interface.get("ipv6") or []:
        if entry.get("scope") == "global":
            return entry["address"]
    raise AnsibleFilterError("flaskstack_peer_network of %s: interface %s has no IPv4 or global IPv6 address"
                             % (host, name))


def peer_address(host_vars):
    """The address of the host whose variables are host_vars (hostvars[name]), at which the load
    balancers and the app servers reach it: its default IPv4 address, or the one that
    flaskstack_peer_network (a network in CIDR form or an interface name) picks."""
    host = host_vars.get("inventory_hostname", "?")
    facts = host_vars.get("ansible_facts") or {}
    if "all_ipv4_addresses" not in facts:
        raise AnsibleFilterError("the network facts of %s are not gathered (gather_subset: network)" % host)
    choice = str(host_vars.get("flaskstack_peer_network") or "").strip()
    if not choice:
        address = (facts.get("default_ipv4") or {}).get("address")
        if not address:
            raise AnsibleFilterError(
                "%s has no default IPv4 address (an IPv6-only host?): set flaskstack_peer_network to the network "
                "(CIDR, such as fd00::/64) or the interface at which the load balancers and app servers reach it"
                % host)
        return address
    try:
        network = ipaddress.ip_network(choice, strict=False)
    except ValueError:
        return _of_interface(facts, choice, host)
    return _in_network(facts, network, host, choice)


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"peer_address": peer_address}
