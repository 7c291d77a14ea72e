# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values written into nginx directives: what each directive takes passes, nothing ends it or opens a block."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.nginx_problem import FilterModule

nginx_problem = FilterModule().filters()["nginx_problem"]

KINDS = ["names", "size", "buffers", "time", "header_name", "header_value", "address"]


@pytest.mark.parametrize("value, kind", [
    ("example.com", "names"),
    ("example.com www.example.com", "names"),
    ("_", "names"),
    ("*.example.com", "names"),
    (".example.com", "names"),
    ("www.example.*", "names"),
    ("~^(?<sub>\\w+)\\.example\\.com$", "names"),
    ("~^www\\d+\\.example\\.com$", "names"),
    ("localhost", "names"),
    ("xn--bcher-kva.example", "names"),
    ("10.0.0.53", "names"),
    ("2001:db8::53", "names"),
    ("10m", "size"),
    ("512k", "size"),
    ("1g", "size"),
    ("10M", "size"),
    ("0", "size"),
    ("1024", "size"),
    (10485760, "size"),
    ("4 16k", "buffers"),
    ("8 8k", "buffers"),
    ("4 16K", "buffers"),
    ("2 1m", "buffers"),
    ("7d", "time"),
    ("12h", "time"),
    ("30m", "time"),
    ("1h30m", "time"),
    ("500ms", "time"),
    ("1y", "time"),
    ("30", "time"),
    (30, "time"),
    ("-1", "time"),
    ("off", "time"),
    ("max", "time"),
    ("epoch", "time"),
    ("modified +24h", "time"),
    ("X-Frame-Options", "header_name"),
    ("Content-Security-Policy", "header_name"),
    ("X-Content-Type-Options", "header_name"),
    ("Referrer-Policy", "header_name"),
    ("Permissions-Policy", "header_name"),
    ("Strict-Transport-Security", "header_name"),
    ("nosniff", "header_value"),
    ("SAMEORIGIN", "header_value"),
    ("frame-ancestors 'self'", "header_value"),
    ("default-src 'self'; img-src 'self' data:; script-src 'self' https://cdn.example.com", "header_value"),
    ("max-age=63072000; includeSubDomains; preload", "header_value"),
    ("strict-origin-when-cross-origin", "header_value"),
    ("geolocation=(), camera=(), microphone=()", "header_value"),
    ("$request_id", "header_value"),
    ("${host}", "header_value"),
    ("{braces} #hash", "header_value"),
    ("1; mode=block", "header_value"),
    (0, "header_value"),
    ("10.0.0.5", "address"),
    ("203.0.113.7", "address"),
    ("10.0.0.0/24", "address"),
    ("172.16.0.0/12", "address"),
    ("192.168.1.0/24", "address"),
    ("::1", "address"),
    ("2001:db8::1", "address"),
    ("2001:db8::/32", "address"),
])
def test_what_the_directive_takes_is_fine(value, kind):
    assert nginx_problem(value, kind) == ""


@pytest.mark.parametrize("value, kind, reason", [
    # server_name: a ';' ends the directive, '{' '}' open or close a block, '#' starts
    # a comment, quotes a string, a trailing '\' escapes what follows.
    ("example.com;", "names", "'example.com;' is not one"),
    ("example.com; include /etc/shadow", "names", "'example.com;' is not one"),
    ("example.com {", "names", "'{' is not one"),
    ("example.com}", "names", "'example.com}' is not one"),
    ("example.com #comment", "names", "'#comment' is not one"),
    ("'example.com'", "names", "is not one"),
    ('"example.com"', "names", "is not one"),
    ("example.com\\", "names", "is not one"),
    ("example.com\\ www.example.com", "names", "is not one"),
    ("example.com\\;", "names", "is not one"),
    ("www.example.com a\\$b", "names", "is not one"),
    ("example.com\n", "names", "must not contain a newline"),
    ("example.com\r\nserver_name evil.example", "names", "must not contain a newline"),
    ("example.com\twww.example.com", "names", "control character"),
    (" example.com", "names", "separated by single spaces"),
    ("example.com ", "names", "separated by single spaces"),
    ("example.com  www.example.com", "names", "separated by single spaces"),
    ("", "names", "must not be empty"),
    # sizes and times stand alone in a directive
    ("10m;", "size", "must be a size"),
    ("10m; autoindex on", "size", "must be a size"),
    ("10m}", "size", "must be a size"),
    ("10 m", "size", "must be a size"),
    ("10mb", "size", "must be a size"),
    ("1.5m", "size", "must be a size"),
    ("-1", "size", "must be a size"),
    ("m", "size", "must be a size"),
    ("10m\n", "size", "must not contain a newline"),
    ("", "size", "must not be empty"),
    ("4 16k;", "buffers", "must be a number and a size"),
    ("4 16k}", "buffers", "must be a number and a size"),
    ("16k", "buffers", "must be a number and a size"),
    ("4  16k", "buffers", "must be a number and a size"),
    ("4\t16k", "buffers", "control character"),
    ("7d;", "time", "must be an nginx time"),
    ("7d #", "time", "must be an nginx time"),
    ("7d}", "time", "must be an nginx time"),
    ("7d off", "time", "must be an nginx time"),
    ("7 d", "time", "must be an nginx time"),
    ("forever", "time", "must be an nginx time"),
    ("7d\n", "time", "must not contain a newline"),
    # header names are bare tokens, header values go between double quotes
    ("X-Frame-Options;", "header_name", "must be a header name"),
    ("X Frame", "header_name", "must be a header name"),
    ("X:Frame", "header_name", "must be a header name"),
    ('"X-Frame-Options"', "header_name", "must be a header name"),
    ("{", "header_name", "must be a header name"),
    ("-X-Frame", "header_name", "must be a header name"),
    ("X-Frame-Options\r\n", "header_name", "must not contain a newline"),
    ("", "header_name", "must not be empty"),
    ('a "quoted" word', "header_value", "must not contain '\\' or '\"'"),
    ('a" always; return 200 pwned; #', "header_value", "must not contain '\\' or '\"'"),
    ("DENY\\", "header_value", "must not contain '\\' or '\"'"),
    ('DENY\\"; add_header X-Evil 1; #', "header_value", "must not contain '\\' or '\"'"),
    ("DENY\n", "header_value", "must not contain a newline"),
    ("DENY\r\nSet-Cookie: session=x", "header_value", "must not contain a newline"),
    ("", "header_value", "must not be empty"),
    ("all", "address", "must be IP addresses or networks"),
    ("10.0.0.5;", "address", "must be IP addresses or networks"),
    ("10.0.0.5; allow all", "address", "must be IP addresses or networks"),
    ("10.0.0.5 ", "address", "must be IP addresses or networks"),
    ("lb.example.com", "address", "must be IP addresses or networks"),
    ("10.0.0.0/33", "address", "must be IP addresses or networks"),
    ("10.0.0.256", "address", "must be IP addresses or networks"),
    ("unix:", "address", "must be IP addresses or networks"),
    ("10.0.0.5\n", "address", "must not contain a newline"),
    ("", "address", "must not be empty"),
])
def test_a_value_that_would_break_the_directive_is_refused_with_why(value, kind, reason):
    assert reason in nginx_problem(value, kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value, type_name", [
    (None, "NoneType"),
    (True, "bool"),
    (1.5, "float"),
    (["example.com"], "list"),
    ({"a": 1}, "dict"),
])
def test_a_value_that_is_not_a_string_is_refused(kind, value, type_name):
    assert nginx_problem(value, kind) == "must be a string, not %s" % type_name


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("control", ["\n", "\r", "\x00", "\x0b", "\x1b", "\x7f"])
def test_every_kind_refuses_control_characters(kind, control):
    assert "must not contain a newline or other control character" in nginx_problem("10" + control, kind)


def test_the_refused_server_name_is_the_one_named():
    problem = nginx_problem("example.com www.exa;mple.com shop.example.com", "names")
    assert "'www.exa;mple.com' is not one" in problem
    assert "'example.com'" not in problem


def test_a_network_that_trusts_every_address_is_refused():
    assert "every address" in nginx_problem("0.0.0.0/0", "address")
    assert "every address" in nginx_problem("::/0", "address")
    assert "is not one" in nginx_problem("10.0.0.0/255.255.255.0", "address")
    assert nginx_problem("10.0.0.0/8", "address") == ""
