# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nginx_base module run in-process on real files, with dpkg-query and systemctl stood in for
by scripts on PATH that answer from a state directory and log every call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import sys

import pytest

from ansible_collections.flaskstack.deploy.plugins.modules import nginx_base

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stand_ins import commands, run_module  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import

# The http block as Debian 12's nginx package ships it (shortened), and as Debian 13's does.
BOOKWORM = """user www-data;
http {
\tsendfile on;
\t# server_tokens off;
\tinclude /etc/nginx/sites-enabled/*;
}
"""
TRIXIE = BOOKWORM.replace("\t# server_tokens off;", "\tserver_tokens on;")
SET = "\tserver_tokens off; # flaskstack.deploy: the version helps attackers pick exploits\n"
CHECKER = "#!/bin/sh\nexec nginx -t\n"

SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$STATE/calls"
case "$1" in
    is-enabled) [ -e "$STATE/enabled" ] ;;
    is-active) [ -e "$STATE/active" ] ;;
    enable) touch "$STATE/enabled" ;;
    start) if [ -e "$STATE/start-fails" ]; then echo "Job for nginx.service failed" >&2; exit 1; fi
           touch "$STATE/active" ;;
    *) exit 3 ;;
esac
"""


@pytest.fixture()
def host(tmp_path, commands):
    """A host with nginx's packages installed, its service stopped and disabled, the stock config."""
    commands.add("systemctl", SYSTEMCTL)
    commands.install("nginx", "openssl")
    (tmp_path / "nginx.conf").write_text(BOOKWORM)
    (tmp_path / "default").write_text("server { listen 80 default_server; }\n")
    return tmp_path


def args(host, **extra):
    base = dict(packages=["nginx", "openssl"], config=str(host / "nginx.conf"), default_site=str(host / "default"),
                checker=dict(path=str(host / "checker"), content=CHECKER))
    base.update(extra)
    return base


@pytest.fixture()
def run(run_module):
    return lambda **module_args: run_module(nginx_base.main, **module_args)


def test_missing_package_is_returned_and_nothing_else_is_touched(run, host, commands):
    (commands.state / "installed-openssl").unlink()
    result = run(**args(host))
    assert not result.get("failed"), result
    assert result["missing"] == ["openssl"] and not result["changed"] and not result["config_changed"]
    assert (host / "nginx.conf").read_text() == BOOKWORM
    assert (host / "default").exists() and not (host / "checker").exists()
    assert [call for call in commands.calls() if call.startswith("systemctl")] == []


def test_dpkg_that_cannot_answer_fails_naming_packages(run, host, commands):
    (commands.state / "dpkg-broken").touch()
    result = run(**args(host))
    assert result["failed"] and result["msg"].startswith("packages: ") and "database locked" in result["msg"]
    assert (host / "nginx.conf").read_text() == BOOKWORM and (host / "default").exists()


def test_first_run_sets_everything_then_a_second_changes_nothing(run, host, commands):
    result = run(**args(host))
    assert not result.get("failed"), result
    assert result["changed"] and result["config_changed"] and result["missing"] == []
    assert (host / "nginx.conf").read_text() == BOOKWORM.replace("\t# server_tokens off;\n", SET)
    assert not (host / "default").exists()
    assert (host / "checker").read_text() == CHECKER
    assert stat.S_IMODE((host / "checker").stat().st_mode) == 0o755
    assert commands.calls()[-2:] == ["systemctl enable nginx", "systemctl start nginx"]

    again = run(**args(host))
    assert not again["changed"] and not again["config_changed"]
    # One package lookup and two questions: nothing is started or written.
    assert len(commands.calls()) == 3


@pytest.mark.parametrize("stock, expected", [
    (TRIXIE, BOOKWORM.replace("\t# server_tokens off;\n", SET)),
    # No server_tokens line at all: added right after the http block opens.
    (BOOKWORM.replace("\t# server_tokens off;\n", ""), "user www-data;\nhttp {\n" + SET
     + "\tsendfile on;\n\tinclude /etc/nginx/sites-enabled/*;\n}\n"),
    # Two lines (one commented): the last one is set, so there is never a second directive.
    (BOOKWORM.replace("\tsendfile on;", "\t#server_tokens build;"),
     "user www-data;\nhttp {\n\t#server_tokens build;\n" + SET + "\tinclude /etc/nginx/sites-enabled/*;\n}\n"),
])
def test_server_tokens_line_is_set_once(run, host, stock, expected):
    (host / "nginx.conf").write_text(stock)
    result = run(**args(host))
    assert result["config_changed"], result
    assert (host / "nginx.conf").read_text() == expected
    assert not run(**args(host))["changed"]


def test_server_tokens_on_is_written_when_asked(run, host):
    run(**args(host))
    result = run(**args(host, server_tokens=True))
    assert result["changed"] and result["config_changed"]
    assert "\tserver_tokens on; #" in (host / "nginx.conf").read_text()


def test_config_without_http_block_fails_naming_config(run, host):
    (host / "nginx.conf").write_text("events {}\n")
    result = run(**args(host))
    assert result["failed"] and result["msg"].startswith("config: ") and "no http block" in result["msg"]
    assert (host / "nginx.conf").read_text() == "events {}\n"


def test_check_mode_changes_nothing_and_the_diff_says_what_would(run, host, commands):
    result = run(check_mode=True, diff=True, **args(host))
    assert result["changed"] and result["config_changed"], result
    assert (host / "nginx.conf").read_text() == BOOKWORM
    assert (host / "default").exists() and not (host / "checker").exists()
    assert not [call for call in commands.calls() if call.split()[1:2] in (["enable"], ["start"])]
    headers = [diff["after_header"] for diff in result["diff"]]
    assert headers == [str(host / "default"), str(host / "nginx.conf"), str(host / "checker"), "systemd unit nginx"]
    assert SET in result["diff"][1]["after"]


def test_only_the_checker_changed_needs_no_reload(run, host):
    run(**args(host))
    (host / "checker").write_text("old\n")
    result = run(**args(host))
    assert result["changed"] and not result["config_changed"]
    assert (host / "checker").read_text() == CHECKER


def test_stopped_service_is_started_and_a_start_that_fails_says_where_to_look(run, host, commands):
    run(**args(host))
    (commands.state / "active").unlink()
    assert run(**args(host))["changed"]
    assert commands.calls()[-1] == "systemctl start nginx"

    (commands.state / "active").unlink()
    (commands.state / "start-fails").touch()
    result = run(**args(host))
    assert result["failed"] and result["msg"].startswith("service: systemctl start nginx failed")
    assert "journalctl -u nginx" in result["msg"] and "Job for nginx.service failed" in result["msg"]


def test_default_site_left_alone_when_not_given(run, host):
    module_args = args(host)
    del module_args["default_site"]
    run(**module_args)
    assert (host / "default").exists()
