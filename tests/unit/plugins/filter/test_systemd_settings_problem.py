# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directives a user adds to the app's unit: tuning passes, nothing may make the app root or forge a line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.systemd_settings_problem import FilterModule

systemd_settings_problem = FilterModule().filters()["systemd_settings_problem"]

EXEC_DIRECTIVES = ["ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost",
                   "ExecCondition"]


@pytest.mark.parametrize("settings", [
    {},
    {"LimitNOFILE": 65536, "MemoryDenyWriteExecute": None, "Environment": ["A=1", "B=2"]},
    {"LimitNOFILE": "65536:524288"},
    {"MemoryMax": "512M", "CPUQuota": "50%", "TasksMax": 256},
    {"CPUWeight": 50.5},
    {"Nice": -5},
    {"NoNewPrivileges": True, "PrivateTmp": False},
    {"ProtectSystem": "strict", "ProtectHome": "read-only"},
    {"Environment": "SECRET_KEY=s3cr3t"},
    {"Environment": "DATABASE_URL=postgresql://shop@localhost/shop"},
    {"ReadWritePaths": ["/srv/shop/data", "/var/cache/shop"]},
    {"Restart": "always", "RestartSec": 5, "TimeoutStartSec": "90s"},
    {"AmbientCapabilities": "CAP_NET_BIND_SERVICE"},
    {"SupplementaryGroups": "www-data"},
    {"ExecStartPre": "/srv/shop/venv/bin/flask db upgrade"},
    {"ExecStartPre": "-/usr/bin/test -f /srv/shop/ready"},
    {"ExecStartPre": "@/srv/shop/venv/bin/python migrate --check"},
    {"ExecStartPre": ":/usr/bin/env"},
    {"ExecStartPre": "-@:/usr/bin/true"},
    {"ExecStartPost": ["/usr/bin/true", "/srv/shop/venv/bin/flask warm-cache"]},
    {"ExecStopPost": "/bin/sh -c 'echo stopped +1 !'"},
    {"ExecStartPre": ""},
    {"ExecStartPre": None},
    {"Environment": None},
])
def test_tuning_directives_are_fine(settings):
    assert systemd_settings_problem(settings) == ""


@pytest.mark.parametrize("settings, name", [
    ({"User": "root"}, "User"),
    ({"User": "shop"}, "User"),
    ({"User": 0}, "User"),
    ({"User": None}, "User"),
    ({"Group": "root"}, "Group"),
    ({"Group": "shop"}, "Group"),
    ({"DynamicUser": True}, "DynamicUser"),
    ({"DynamicUser": "yes"}, "DynamicUser"),
    ({"LimitNOFILE": 65536, "User": "root"}, "User"),
])
def test_the_identity_is_the_role_s(settings, name):
    problem = systemd_settings_problem(settings)
    assert problem.startswith(name + ":")
    assert "never as root" in problem
    assert "flaskstack_app_user" in problem


@pytest.mark.parametrize("value", [True, "yes", False, None])
def test_permissions_start_only_is_refused(value):
    problem = systemd_settings_problem({"PermissionsStartOnly": value})
    assert problem.startswith("PermissionsStartOnly:")
    assert "as root" in problem


@pytest.mark.parametrize("name", EXEC_DIRECTIVES)
@pytest.mark.parametrize("line", [
    "+/bin/sh -c id",
    "!/bin/sh -c id",
    "!!/bin/sh -c id",
    "-+/bin/sh",
    "-!/bin/sh",
    "@-!/bin/sh sh -c id",
    ":+/usr/bin/env",
    "-@:+/bin/sh",
])
def test_an_exec_line_with_a_privileged_prefix_is_refused(name, line):
    problem = systemd_settings_problem({name: line})
    assert problem.startswith(name + ":")
    assert "'+' or '!' prefix" in problem
    assert "as root" in problem


def test_a_privileged_exec_line_in_a_list_is_refused():
    problem = systemd_settings_problem({"ExecStopPost": ["/usr/bin/true", "+/bin/sh -c id"]})
    assert "ExecStopPost: a '+' or '!' prefix" in problem


@pytest.mark.parametrize("line", [
    " +/bin/sh -c id",
    '"+/bin/sh" -c id',
    "'!/bin/sh' -c id",
    "\\x2b/bin/sh -c id",
    "/usr/bin/true ; +/bin/sh -c id",
])
def test_an_exec_prefix_hidden_from_the_check_is_refused(line):
    problem = systemd_settings_problem({"ExecStartPre": line})
    # An escape is refused as such: it could spell any prefix.
    assert "as root" in problem or "may not hold escapes" in problem, problem


@pytest.mark.parametrize("settings", [
    {"SupplementaryGroups": "root"},
    {"AmbientCapabilities": "CAP_SETUID"},
    {"AmbientCapabilities": "CAP_SYS_ADMIN"},
])
def test_settings_that_give_the_app_root_s_powers_are_refused(settings):
    assert systemd_settings_problem(settings) != ""


@pytest.mark.parametrize("settings, name", [
    ({"Environment": "A=1\nUser=root"}, "Environment"),
    ({"Environment": ["A=1", "B=2\nExecStartPre=+/bin/sh"]}, "Environment"),
    ({"Environment": "A=1\n"}, "Environment"),
    ({"Description": "shop\r"}, "Description"),
    ({"Environment": "A=1\x00"}, "Environment"),
    ({"Environment": "A=\x1b[2J"}, "Environment"),
    ({"ExecStartPre": "/usr/bin/true\n+/bin/sh"}, "ExecStartPre"),
    ({"ReadWritePaths": "/srv/shop\t/etc"}, "ReadWritePaths"),
])
def test_a_value_that_would_start_a_line_of_its_own_is_refused(settings, name):
    assert systemd_settings_problem(settings) == "%s: must not contain a newline or other control character" % name


@pytest.mark.parametrize("name", [
    "user",
    "limitNOFILE",
    "Limit NOFILE",
    "LimitNOFILE\nUser",
    "Service]\n[Service",
    "LimitNOFILE=1",
    "X-Custom_Setting",
    "",
    1,
])
def test_a_name_that_is_not_a_directive_is_refused(name):
    assert "is not a systemd directive name" in systemd_settings_problem({name: 1})


@pytest.mark.parametrize("value", [
    {"soft": 1024},
    [["A=1"]],
    [{"A": "1"}],
    object(),
])
def test_a_value_that_is_not_a_scalar_or_a_list_of_them_is_refused(value):
    assert "a value must be a string, a number, a boolean, null or a list of them" in \
        systemd_settings_problem({"Environment": value})


@pytest.mark.parametrize("settings, type_name", [
    ([], "list"),
    (["LimitNOFILE=65536"], "list"),
    ("LimitNOFILE=65536", "str"),
    (None, "NoneType"),
])
def test_settings_that_are_not_a_mapping_are_refused(settings, type_name):
    assert systemd_settings_problem(settings).endswith("not %s" % type_name)


@pytest.mark.parametrize("settings", [
    {"Environment": "SECRET_KEY=s3cr3t\n"},
    {"Environment": ["A=1", "DB_PASSWORD=s3cr3t\r"]},
    {"Environment": {"SECRET_KEY": "s3cr3t"}},
    {"Environment": [["SECRET_KEY=s3cr3t"]]},
    {"ExecStartPre": "+/usr/bin/curl -u admin:s3cr3t https://example.com/hook"},
    {"ExecStartPre": "/usr/bin/true\ns3cr3t"},
    {"User": "s3cr3t"},
    {"PermissionsStartOnly": "s3cr3t"},
    {"DynamicUser": "s3cr3t"},
])
def test_a_refusal_never_echoes_a_value(settings):
    problem = systemd_settings_problem(settings)
    assert problem
    assert "s3cr3t" not in problem


@pytest.mark.parametrize("settings", [
    {"EnvironmentFile": "-/etc/flaskstack/shop/env"},
    {"LoadCredential": "s:/etc/shadow"},
    {"StandardOutput": "append:/etc/sudoers.d/shop"},
    {"StandardError": "file:/etc/cron.d/x"},
])
def test_directives_whose_files_systemd_opens_as_root_are_refused(settings):
    assert "as root" in systemd_settings_problem(settings)
