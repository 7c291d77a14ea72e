# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deb_packages module run in-process, with dpkg-query and apt-get stood in for by scripts on
PATH that answer from a state directory and log every call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys
import time

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import deb
from ansible_collections.flaskstack.deploy.plugins.modules import deb_packages

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stand_ins import commands, run_module  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import

# apt-get: "$STATE/held" holds how many more tries find the lock held; "$STATE/fails-<verb>" makes
# that verb fail as apt does for a name it does not know; "$STATE/lies" installs nothing.
APT_GET = """#!/bin/sh
echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> "$STATE/calls"
held=$(cat "$STATE/held" 2>/dev/null || echo 0)
if [ "$held" -gt 0 ]; then
    echo $((held - 1)) > "$STATE/held"
    echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 50 (python3)" >&2
    echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?" >&2
    exit 100
fi
verb=""
for arg in "$@"; do
    case "$arg" in update|install) verb=$arg; break ;; esac
done
if [ -e "$STATE/fails-$verb" ]; then echo "E: Unable to locate package nosuch" >&2; exit 100; fi
[ "$verb" = update ] && { touch "$STATE/updated"; exit 0; }
seen=""
for arg in "$@"; do
    if [ -n "$seen" ]; then
        case "$arg" in -*|Dpkg::*) ;; *) [ -e "$STATE/lies" ] || touch "$STATE/installed-$arg" ;; esac
    fi
    [ "$arg" = install ] && seen=1
done
exit 0
"""


@pytest.fixture()
def stamp(tmp_path, monkeypatch):
    """apt's update stamp, a minute old; no lists directory."""
    path = tmp_path / "update-success-stamp"
    path.touch()
    os.utime(str(path), (time.time() - 60, time.time() - 60))
    monkeypatch.setattr(deb, "UPDATE_STAMP", str(path))
    monkeypatch.setattr(deb, "LISTS_DIR", str(tmp_path / "lists"))
    return path


@pytest.fixture()
def host(commands, stamp, monkeypatch):
    """A host with python3 installed, nginx and openssl not, and apt lists updated a minute ago."""
    commands.add("apt-get", APT_GET)
    commands.install("python3")
    monkeypatch.setattr(deb, "RETRY_SECONDS", 0.05)
    return commands


@pytest.fixture()
def run(run_module):
    return lambda **args: run_module(deb_packages.main, **args)


def test_missing_packages_are_installed_then_a_second_run_only_looks(host, run):
    result = run(names=["python3", "nginx", "openssl"])
    assert not result.get("failed"), result
    assert result["changed"] and result["installed"] == ["nginx", "openssl"]
    assert result["msg"] == "installed nginx, openssl"
    assert host.installed("nginx") and host.installed("openssl")
    made = host.calls()
    install = [call for call in made if call.startswith("apt-get") and " install " in call]
    assert len(install) == 1 and install[0].endswith(" nginx openssl DEBIAN_FRONTEND=noninteractive"), made
    assert "Dpkg::Options::=--force-confold" in install[0]
    # Lists a minute old are fresh for the default hour: no update.
    assert not any(" update " in call for call in made), made

    again = run(names=["python3", "nginx", "openssl"])
    assert not again["changed"] and again["installed"] == [] and again["msg"] == "all installed"
    assert host.calls() == ["dpkg-query --show --showformat=${Package} ${db:Status-Abbrev}\\n python3 nginx openssl"]


def test_a_held_package_is_installed_and_left_alone(host, run):
    (host.state / "held-python3").write_text("")
    result = run(names=["python3"])
    assert not result["changed"] and result["installed"] == [] and result["msg"] == "all installed"
    assert not any(call.startswith("apt-get") for call in host.calls())


def test_an_empty_list_does_nothing_at_all(host, run):
    result = run(names=[])
    assert not result["changed"] and result["installed"] == []
    assert host.calls() == []


def test_stale_or_absent_lists_are_updated_before_the_install(host, run, stamp):
    os.utime(str(stamp), (time.time() - 7200, time.time() - 7200))
    result = run(names=["nginx"])
    assert not result.get("failed"), result
    apt = [call.split(" DPkg::Lock::Timeout=")[1].split()[1] for call in host.calls() if call.startswith("apt-get")]
    assert apt == ["update", "install"]

    # No stamp and no lists: a server that never updated them.
    stamp.unlink()
    result = run(names=["openssl"])
    assert not result.get("failed"), result
    assert any(call.startswith("apt-get") and " update " in call for call in host.calls())


def test_check_mode_plans_from_dpkg_and_installs_nothing(host, run):
    result = run(check_mode=True, diff=True, names=["openssl", "python3", "nginx"])
    assert not result.get("failed"), result
    assert result["changed"] and result["installed"] == ["openssl", "nginx"]
    assert result["msg"] == "would install nginx, openssl"
    assert result["diff"]["before"] == "nginx: absent\nopenssl: absent\n"
    assert result["diff"]["after"] == "nginx: installed\nopenssl: installed\n"
    assert not host.installed("nginx") and not host.installed("openssl")
    assert [call for call in host.calls() if not call.startswith("dpkg-query")] == []


def test_a_held_lock_is_waited_for_within_the_timeout(host, run):
    (host.state / "held").write_text("3\n")
    result = run(names=["nginx"], lock_timeout=30)
    assert not result.get("failed"), result
    assert host.installed("nginx")
    tries = [call for call in host.calls() if call.startswith("apt-get")]
    assert len(tries) == 4, tries
    # apt-get itself waits for the dpkg lock for what is left of the timeout.
    waits = [int(call.split("DPkg::Lock::Timeout=")[1].split()[0]) for call in tries]
    assert all(0 < wait <= 30 for wait in waits) and waits == sorted(waits, reverse=True), waits


def test_a_lock_held_past_the_timeout_fails_saying_so(host, run):
    (host.state / "held").write_text("1000\n")
    started = time.monotonic()
    result = run(names=["nginx", "openssl"], lock_timeout=1)
    assert time.monotonic() - started < 5
    assert result["failed"] and not host.installed("nginx")
    assert result["msg"].startswith("apt-get install failed, so nginx, openssl could not be installed "
                                    "(another process held apt's lock for more than lock_timeout, 1 s): ")
    assert "Could not get lock /var/lib/dpkg/lock-frontend" in result["msg"]


def test_a_failed_update_or_install_names_the_packages_and_apt_s_error(host, run, stamp):
    stamp.unlink()
    (host.state / "fails-update").touch()
    result = run(names=["nginx"])
    assert result["failed"] and result["msg"].startswith("apt-get update failed, so nginx could not be installed: ")
    assert "Unable to locate package nosuch" in result["msg"] and result["rc"] == 100
    assert not any(" install " in call for call in host.calls())

    (host.state / "fails-update").unlink()
    (host.state / "fails-install").touch()
    result = run(names=["nginx"])
    assert result["failed"] and result["msg"].startswith("apt-get install failed, so nginx could not be installed: ")
    assert "lock_timeout" not in result["msg"]


def test_an_install_that_leaves_a_package_out_fails(host, run):
    (host.state / "lies").touch()
    result = run(names=["nginx"])
    assert result["failed"]
    assert result["msg"] == "apt-get install ended well, yet dpkg does not list nginx as installed"


def test_dpkg_that_cannot_answer_fails_naming_packages(host, run):
    (host.state / "dpkg-broken").touch()
    result = run(names=["nginx"])
    assert result["failed"] and result["msg"].startswith("packages: dpkg-query cannot list them: ")
    assert [call for call in host.calls() if call.startswith("apt-get")] == []


def test_a_negative_lock_timeout_is_refused(host, run):
    result = run(names=["nginx"], lock_timeout=-1)
    assert result["failed"] and result["msg"] == "lock_timeout must be 0 or more seconds; got -1"
    assert host.calls() == []
