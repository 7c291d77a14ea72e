# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths the roles own, write or delete: each mistaken or hostile form is refused, with why."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.path_problem import FilterModule

path_problem = FilterModule().filters()["path_problem"]


@pytest.mark.parametrize("path", [
    "/srv/flaskstack/demo",
    "/srv/shop",
    "/app",
    "/etc/flaskstack/demo",
    "/opt/shop/venv",
    "/home/shop/app",
])
def test_an_app_s_own_directory_is_fine(path):
    assert path_problem(path) == ""


@pytest.mark.parametrize("path, reason", [
    ("srv/flaskstack/demo", "must be an absolute path"),
    ("", "must be an absolute path"),
    ("/srv/flaskstack/../../etc", "normal form, without '.', '..', '//' or a trailing '/' (this one means /etc)"),
    ("/srv/flaskstack/demo/", "(this one means /srv/flaskstack/demo)"),
    ("/srv/./shop", "(this one means /srv/shop)"),
    ("//srv/shop", "(this one means /srv/shop)"),
    ("/srv//shop", "(this one means /srv/shop)"),
    ("/srv/shop\n", "must not contain a newline"),
    ("/srv/sh\top", "must not contain a newline or other control character"),
    ("/", "must not be a system directory"),
    ("/etc", "must not be a system directory"),
    ("/srv", "must not be a system directory"),
    ("/usr/local", "must not be a system directory"),
    ("/var/lib", "must not be a system directory"),
    ("/srv/flaskstack", "a directory every app shares"),
    ("/etc/flaskstack", "a directory every app shares"),
])
def test_a_mistaken_or_hostile_path_is_refused_with_why(path, reason):
    assert reason in path_problem(path)


def test_a_path_that_is_not_a_string_is_refused():
    assert path_problem(["/srv/shop"]) == "must be a path, not list"
    assert path_problem(None) == "must be a path, not NoneType"


@pytest.mark.parametrize("path, under, reason", [
    ("/run/flaskstack-demo", "/run", ""),
    ("/run/flaskstack/demo", "/run/", ""),
    ("/tmp/flaskstack-demo", "/run", "must be under /run/"),
    ("/run", "/run", "must not be a system directory"),
    ("/running/demo", "/run", "must be under /run/"),
])
def test_under_keeps_the_path_below_a_directory(path, under, reason):
    if reason:
        assert reason in path_problem(path, under=under)
    else:
        assert path_problem(path, under=under) == ""


@pytest.mark.parametrize("path", [
    "requirements.txt",
    "requirements-dev.txt",
    "requirements/prod.txt",
    "deploy/requirements/base.txt",
    ".requirements.txt",
    "etc/requirements.txt",
])
def test_relative_a_file_inside_the_app_s_code_is_fine(path):
    assert path_problem(path, relative=True) == ""
    assert "must be an absolute path" in path_problem(path)


@pytest.mark.parametrize("path, reason", [
    ("/etc/shadow", "must be a path relative to the app's code"),
    ("/srv/shop/requirements.txt", "must be a path relative to the app's code"),
    ("//requirements.txt", "must be a path relative to the app's code"),
    ("", "must be a path relative to the app's code"),
    ("-r", "must not start with '-'"),
    ("--requirement=/etc/shadow", "must not start with '-'"),
    ("-requirements.txt", "must not start with '-'"),
    ("-", "must not start with '-'"),
    ("..", "'..' climbs out"),
    ("../requirements.txt", "'..' climbs out"),
    ("../../etc/shadow", "'..' climbs out"),
    ("requirements/../../etc/shadow", "'..' climbs out"),
    ("requirements/../..", "'..' climbs out"),
    ("./requirements.txt", "normal form, without '.', '..', '//' or a trailing '/' (this one means requirements.txt)"),
    ("requirements/../requirements.txt", "(this one means requirements.txt)"),
    ("requirements//prod.txt", "(this one means requirements/prod.txt)"),
    ("requirements/./prod.txt", "(this one means requirements/prod.txt)"),
    ("requirements/", "(this one means requirements)"),
    ("requirements.txt\n", "must not contain a newline"),
    ("requirements.txt\n--requirement=/etc/shadow", "must not contain a newline"),
    ("requirements\t.txt", "must not contain a newline or other control character"),
    ("requirements.txt\x00", "must not contain a newline or other control character"),
])
def test_relative_a_path_that_leaves_the_code_or_is_an_option_is_refused_with_why(path, reason):
    assert reason in path_problem(path, relative=True)


def test_relative_a_path_that_is_not_a_string_is_refused():
    assert path_problem(None, relative=True) == "must be a path, not NoneType"
    assert path_problem(["requirements.txt"], relative=True) == "must be a path, not list"


def test_relative_the_code_directory_itself_is_refused():
    assert path_problem(".", relative=True) != ""


@pytest.mark.parametrize("path", ["/run/shop /srv", "/srv/flaskstack/my app", "/srv/a\tb"])
def test_a_host_path_with_spaces_is_refused(path):
    assert "spaces" in path_problem(path) or "control character" in path_problem(path)


def test_a_controller_path_may_hold_spaces():
    assert path_problem("/home/me/My Projects/shop", spaces=True) == ""
