# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with a value the nginx role writes into a directive; empty when nothing is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CIDR = re.compile(r"\A[0-9A-Fa-f:.]+(/[0-9]{1,3})?\Z")
# Characters that end or open a directive, a block, a comment or a string.
SYNTAX = re.compile(r"[;{}#\"']")
# nginx takes the character after a backslash as it is, even ';': only the
# escapes of a regular expression name (\d, \.) may appear.
ESCAPE = re.compile(r"\\(?![A-Za-z0-9.])")

# kind: (whole-value pattern, what it must be)
FORMS = {
    "size": (re.compile(r"\A[0-9]+[kKmMgG]?\Z"), "must be a size such as 10m, 512k or 1g"),
    "buffers": (re.compile(r"\A[0-9]+ [0-9]+[kKmM]?\Z"), "must be a number and a size, such as '4 16k'"),
    "time": (re.compile(r"\A(off|max|epoch|(modified )?[-+]?([0-9]+(ms|s|m|h|d|w|M|y)?)+)\Z"),
             "must be an nginx time such as 7d, 12h or 30m, or off, max or epoch"),
    "header_name": (re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z"), "must be a header name: letters, digits, '-' and '_'"),
}


def _names_problem(value):
    if value != value.strip() or "  " in value:
        return "must be server names separated by single spaces"
    for name in value.split(" "):
        if SYNTAX.search(name) or ESCAPE.search(name):
            return "must be server names separated by spaces (no ';', '{', '}', '#', quotes, or '\\' " \
                   "other than a regular expression's \\d or \\.); %r is not one" % name
    return ""


def _address_problem(value):
    try:
        if not CIDR.match(value):
            raise ValueError(value)
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "must be IP addresses or networks, such as 10.0.0.5 or 10.0.0.0/24; %r is not one" % value
    if network.prefixlen == 0:
        return "must not trust every address (%s): name the load balancers' addresses or networks" % value
    return ""


def nginx_problem(value, kind):
    """Reason the value must not go into an nginx directive, or "" when it may.

    kind says what the directive takes: names (server_name), size, buffers,
    time, header_name, header_value (written between double quotes, as it
    is), or address (an IP address or network)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return "must be a string, not %s" % type(value).__name__
    value = str(value)
    if CONTROL.search(value):
        return "must not contain a newline or other control character"
    if not value:
        return "must not be empty"
    if kind == "names":
        return _names_problem(value)
    if kind == "address":
        return _address_problem(value)
    if kind == "header_value":
        if "\\" in value or '"' in value:
            return "must not contain '\\' or '\"' (the value is written between double quotes)"
        return ""
    pattern, rule = FORMS[kind]
    return "" if pattern.match(value) else rule


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"nginx_problem": nginx_problem}
