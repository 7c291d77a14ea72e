# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gunicorn's addresses: a socket or loopback passes, anything other hosts could reach is refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.bind_problem import FilterModule

bind_problem = FilterModule().filters()["bind_problem"]


@pytest.mark.parametrize("binds", [
    "unix:/run/x.sock",
    "unix:/run/flaskstack-demo/gunicorn.sock",
    "127.0.0.1:8000",
    "127.0.0.1:1",
    "127.0.0.1:65535",
    "127.0.0.2:8001",
    "[::1]:8000",
    "localhost:8000",
    "fd://3",
    "fd://10",
    ["127.0.0.1:8000"],
    ["127.0.0.1:8000", "[::1]:8000"],
    ["unix:/run/x.sock", "fd://3", "localhost:8000"],
    [],
])
def test_a_socket_or_a_loopback_address_is_fine(binds):
    assert bind_problem(binds) == ""


@pytest.mark.parametrize("binds", [
    "0.0.0.0:8000",
    "[::]:8000",
    "0:8000",
    "203.0.113.7:8000",
    "10.0.0.5:8000",
    "192.168.1.10:8000",
    "[2001:db8::1]:8000",
    "[::ffff:0.0.0.0]:8000",
    "example.com:8000",
    "app.internal:8000",
    "localhost.example.com:8000",
    ["127.0.0.1:8000", "0.0.0.0:8000"],
    ["unix:/run/x.sock", "[::]:8000"],
])
def test_an_address_other_hosts_can_reach_is_refused(binds):
    problem = bind_problem(binds)
    assert "lets other hosts reach the app around nginx" in problem
    assert "loopback" in problem


def test_the_refused_address_is_the_one_named():
    problem = bind_problem(["127.0.0.1:8000", "0.0.0.0:8000"])
    assert "'0.0.0.0:8000'" in problem
    assert "'127.0.0.1:8000'" not in problem


@pytest.mark.parametrize("binds", [
    "127.0.0.1",
    "8000",
    ":8000",
    "127.0.0.1:",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "127.0.0.1:123456",
    "127.0.0.1:http",
    "::1:8000",
    "tcp://127.0.0.1:8000",
    "http://127.0.0.1:8000",
    "fd://",
    "fd://three",
    "",
])
def test_a_malformed_address_is_refused_with_the_forms_that_work(binds):
    assert "must be unix:/path, fd://N or a loopback host:port" in bind_problem(binds)


@pytest.mark.parametrize("binds", [
    "unix:run/x.sock",
    "unix:",
    "unix:/run/../etc/x.sock",
    "unix://run/x.sock",
    "unix:/run//x.sock",
    "unix:/run/./x.sock",
    "unix:/run/x.sock/",
])
def test_a_socket_path_must_be_absolute_and_normal(binds):
    assert "must name an absolute socket path in normal form" in bind_problem(binds)


@pytest.mark.parametrize("binds", [
    "127.0.0.1:8000\n",
    "127.0.0.1:8000\n0.0.0.0:8000",
    "unix:/run/x.sock\n",
    "fd://3\n",
    "127.0.0.1:8000\r",
    "127.0.0.1: 8000",
    " 127.0.0.1:8000",
    "\t127.0.0.1:8000",
    "unix:/run/my app.sock",
    "127.0.0.1:8000\x00",
    ["127.0.0.1:8000", "[::1]:8000\n"],
])
def test_spaces_newlines_and_control_characters_are_refused(binds):
    assert "must not contain spaces, newlines or other control characters" in bind_problem(binds)


@pytest.mark.parametrize("binds, type_name", [
    (None, "NoneType"),
    (8000, "int"),
    ([8000], "int"),
    (["127.0.0.1:8000", None], "NoneType"),
    ({"host": "127.0.0.1"}, "dict"),
])
def test_an_address_that_is_not_a_string_is_refused(binds, type_name):
    assert bind_problem(binds) == "must be addresses (strings), not %s" % type_name
