# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one-command looks of the processes, nginx and python roles (their vars/main.yml), run as
the roles run them: python3 -c SCRIPT ARGS, with systemctl and dpkg-query stood in for on PATH."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pwd
import subprocess
import sys

import pytest
import yaml

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles")

# Answers as systemctl show --property=Id,ActiveState,UnitFileState does: a block per unit,
# blank lines between; one it does not know still gets a block.
SYSTEMCTL = """#!/bin/sh
printf '%s\\n' "$*" >> "$STATE/calls"
[ -e "$STATE/broken" ] && { echo "Failed to connect to bus" >&2; exit 1; }
cat <<'SHOWN'
Id=flaskstack-shop.service
ActiveState=active
UnitFileState=enabled

Id=flaskstack-shop.worker@1.service
ActiveState=active
UnitFileState=enabled

Id=flaskstack-shop.worker@2.service
ActiveState=failed
UnitFileState=enabled

Id=flaskstack-shop.worker@3.service
ActiveState=inactive
UnitFileState=
SHOWN
"""
UNITS = ["flaskstack-shop.service", "flaskstack-shop.worker@1.service", "flaskstack-shop.worker@2.service",
         "flaskstack-shop.worker@3.service"]


def script(role, name):
    with open(os.path.join(ROLES, role, "vars", "main.yml")) as handle:
        return yaml.safe_load(handle)[name]


def look(role, name, *args, **env):
    proc = subprocess.run([sys.executable, "-c", script(role, name)] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, env=dict(os.environ, **env), check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def stand_in(tmp_path, monkeypatch, name, text):
    """The command name first on PATH, running text; the state directory it reads ($STATE)."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    (bin_dir / name).write_text(text)
    (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    monkeypatch.setenv("STATE", str(state))
    return state


@pytest.fixture()
def systemctl(tmp_path, monkeypatch):
    return stand_in(tmp_path, monkeypatch, "systemctl", SYSTEMCTL)


def test_processes_look_asks_systemd_once_for_every_unit(systemctl):
    looked = look("processes", "__processes_look_script", "flaskstack-shop", *UNITS)
    assert (systemctl / "calls").read_text().splitlines() == [
        "show --property=Id,ActiveState,UnitFileState -- " + " ".join(UNITS)]
    assert sorted(looked["units"]) == UNITS
    assert looked["units"]["flaskstack-shop.worker@2.service"]["ActiveState"] == "failed"
    assert looked["units"]["flaskstack-shop.worker@3.service"]["UnitFileState"] == ""


def test_processes_look_says_nothing_of_units_when_systemd_cannot_be_asked(systemctl, tmp_path):
    (systemctl / "broken").write_text("")
    assert look("processes", "__processes_look_script", "flaskstack-shop", *UNITS)["units"] == {}
    # No systemctl at all (a host without systemd, under supervisor).
    empty = tmp_path / "empty"
    empty.mkdir()
    looked = look("processes", "__processes_look_script", "flaskstack-shop", *UNITS, PATH=str(empty))
    assert looked["units"] == {}


def test_processes_look_finds_no_unit_of_an_app_the_host_does_not_have(systemctl):
    assert look("processes", "__processes_look_script", "flaskstack-app-never-deployed-here",
                "flaskstack-app-never-deployed-here.service")["found"] == []


def test_nginx_look_gives_the_groups_as_id_does():
    user = pwd.getpwuid(os.getuid()).pw_name
    groups = subprocess.run(["id", "-nG", user], stdout=subprocess.PIPE, universal_newlines=True,
                            check=True).stdout.split()
    looked = look("nginx", "__nginx_look_script", user, "/etc/ssl/flaskstack/flaskstack-never-deployed")
    assert sorted(looked["groups"]) == sorted(groups)
    assert isinstance(looked["default_servers"], list)


def test_nginx_look_gives_no_groups_for_a_user_not_made_yet():
    assert look("nginx", "__nginx_look_script", "flaskstack-no-such-user", "/nonexistent")["groups"] is None


def test_nginx_look_says_whether_the_app_has_a_certificate_directory(tmp_path):
    user = pwd.getpwuid(os.getuid()).pw_name
    tls_dir = tmp_path / "flaskstack-shop"
    assert look("nginx", "__nginx_look_script", user, str(tls_dir))["tls_dir"] is False
    tls_dir.mkdir()
    assert look("nginx", "__nginx_look_script", user, str(tls_dir))["tls_dir"] is True


# Answers as dpkg-query --show --showformat='${Package} ${db:Status-Abbrev}\n' does,
# for the names it is given only: a line per package it knows (ii: installed;
# hi: installed and held; rc: removed, config kept), exit 1 when one of the
# names is unknown to it. Any other format is refused, as a real dpkg's
# answer to it would not be read right.
DPKG_QUERY = """#!/bin/sh
printf '%s\\n' "$*" >> "$STATE/calls"
[ -e "$STATE/broken" ] && { echo "dpkg-query: error: database is locked" >&2; exit 2; }
[ "$1 $2" = '--show --showformat=${Package} ${db:Status-Abbrev}\\n' ] || { echo "unexpected: $1 $2" >&2; exit 2; }
shift 2
rc=0
for name in "$@"; do
  case "$name" in
    python3) echo "python3 ii ";;
    python3-venv) echo "python3-venv:amd64 ii ";;
    python3-held) echo "python3-held hi ";;
    python3-packaging) echo "python3-packaging rc ";;
    *) echo "dpkg-query: no packages found matching $name" >&2; rc=1;;
  esac
done
exit $rc
"""


@pytest.fixture()
def dpkg_query(tmp_path, monkeypatch):
    return stand_in(tmp_path, monkeypatch, "dpkg-query", DPKG_QUERY)


def python_look(*packages):
    return look("python", "__python_look_script", "flaskstack-no-such-group", "flaskstack-no-such-user",
                "/srv/flaskstack/shop", "/usr/sbin/nologin", *packages)


def test_python_look_lists_the_packages_dpkg_does_not_have_installed_in_one_query(dpkg_query):
    looked = python_look("python3", "python3-venv", "python3-held", "python3-packaging", "never-packaged")
    # Removed with its config kept (rc) is not installed; held (hi) is; an
    # architecture suffix is not part of the name.
    assert looked["missing"] == ["python3-packaging", "never-packaged"]
    assert (dpkg_query / "calls").read_text().splitlines() == [
        "--show --showformat=${Package} ${db:Status-Abbrev}\\n python3 python3-venv python3-held "
        "python3-packaging never-packaged"]
    assert python_look("python3", "python3-venv")["missing"] == []


def test_python_look_stops_with_dpkg_s_words_when_dpkg_cannot_answer(dpkg_query):
    (dpkg_query / "broken").write_text("")
    proc = subprocess.run([sys.executable, "-c", script("python", "__python_look_script"), "g", "u", "/h",
                           "/usr/sbin/nologin", "python3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert proc.returncode != 0
    assert "dpkg-query cannot list python3: dpkg-query: error: database is locked" in proc.stderr


def test_python_look_says_a_user_not_made_yet_is_missing(dpkg_query):
    assert python_look("python3")["user"].startswith("missing: ")
