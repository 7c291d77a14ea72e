# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values the roles hand to pip: requirements pass, pip options and broken lines are refused, with why."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.requirement_problem import FilterModule

requirement_problem = FilterModule().filters()["requirement_problem"]


@pytest.mark.parametrize("value", [
    "mysite==1.2.0",
    "gunicorn>=23.0,<28",
    "gunicorn==23.0.0",
    "pip>=22.2",
    "gunicorn",
    "Flask-Login~=0.6",
    "mysite[postgres]>=1.2",
    "mysite>=1.2; python_version >= '3.9'",
    "mysite @ https://example.com/mysite-1.2.0.tar.gz",
    "mysite @ https://deploy:token@example.com/mysite-1.2.0.tar.gz",
    "mysite @ git+https://github.com/example/mysite.git@v1.2.0",
    "mysite @ file:///srv/dist/mysite-1.2.0-py3-none-any.whl",
])
def test_a_pep_508_requirement_is_fine(value):
    assert requirement_problem(value) == ""
    assert requirement_problem(value, paths=True) == ""


@pytest.mark.parametrize("value", [
    "/srv/dist/mysite-1.2.0-py3-none-any.whl",
    "/srv/dist/mysite-1.2.0.tar.gz",
    "/tmp/mysite.zip",
])
def test_with_paths_a_package_file_on_the_host_is_fine(value):
    assert requirement_problem(value, paths=True) == ""
    assert "PEP 508" in requirement_problem(value)


@pytest.mark.parametrize("value", [
    "--requirement=/etc/shadow",
    "-r/etc/shadow",
    "-r /etc/shadow",
    " -r /etc/shadow",
    "--index-url=https://pypi.evil.example/simple",
    "--extra-index-url https://pypi.evil.example/simple",
    "-e git+https://github.com/example/mysite.git#egg=mysite",
    "--pre",
    "-",
])
@pytest.mark.parametrize("paths", [False, True])
def test_a_pip_option_is_refused(value, paths):
    problem = requirement_problem(value, paths=paths)
    assert "not a pip option" in problem
    assert "starts with '-'" in problem


@pytest.mark.parametrize("value", [
    "mysite==1.2.0\n",
    "mysite==1.2.0\n--requirement=/etc/shadow",
    "mysite==1.2.0\r",
    "mysite\t==1.2.0",
    "mysite==1.2.0\x00",
    "mysite==1.2.0\x1b[2K",
    "mysite==1.2.0\x7f",
    "/srv/dist/mysite.whl\n",
])
@pytest.mark.parametrize("paths", [False, True])
def test_a_newline_or_other_control_character_is_refused(value, paths):
    assert "must not contain a newline or other control character" in requirement_problem(value, paths=paths)


@pytest.mark.parametrize("value", ["", " ", "   "])
def test_an_empty_value_is_refused(value):
    assert "not empty" in requirement_problem(value)


@pytest.mark.parametrize("value", [
    "https://example.com/mysite-1.2.0.tar.gz",
    "git+https://github.com/example/mysite.git",
    "./mysite",
    "mysite==1.2.0 --hash=sha256:0123456789abcdef",
    "mysite==1.2.0 # pinned",
    "mysite==1.2.0; import os",
    "mysite @",
    "my site==1.2.0",
    "/srv/dist/mysite-1.2.0-py3-none-any.whl",
])
def test_anything_else_must_be_a_pep_508_requirement(value):
    problem = requirement_problem(value)
    assert "PEP 508" in problem
    assert "absolute path of a package file" not in problem


@pytest.mark.parametrize("value, reason", [
    ("/srv/dist/../../etc/shadow", "in normal form"),
    ("/srv/./dist/mysite.whl", "in normal form"),
    ("//srv/dist/mysite.whl", "in normal form"),
    ("/srv//dist/mysite.whl", "in normal form"),
    ("dist/mysite-1.2.0-py3-none-any.whl", "a package's absolute path or URL"),
    ("../dist/mysite.whl", "a package's absolute path or URL"),
])
def test_with_paths_a_mistaken_path_is_refused_with_why(value, reason):
    assert reason in requirement_problem(value, paths=True)


@pytest.mark.parametrize("value, kind", [
    (None, "NoneType"),
    (1.2, "float"),
    (120, "int"),
    (["mysite==1.2.0"], "list"),
    ({"name": "mysite"}, "dict"),
])
def test_a_value_that_is_not_a_string_is_refused(value, kind):
    assert requirement_problem(value).endswith("not %s" % kind)


@pytest.mark.parametrize("value", [
    "mysite @ https://deploy:s3cr3t@example.com/my site.tar.gz",
    "mysite @ https://deploy:s3cr3t@example.com/mysite.tar.gz\n",
    "--index-url=https://deploy:s3cr3t@pypi.example.com/simple",
    "mysite==1.2.0 --extra-index-url https://deploy:s3cr3t@pypi.example.com/simple",
    "s3cr3t mysite",
    "/srv/s3cr3t/../mysite.whl",
    "https://deploy:s3cr3t@example.com/my site.tar.gz",
])
@pytest.mark.parametrize("paths", [False, True])
def test_a_refusal_never_echoes_the_value(value, paths):
    problem = requirement_problem(value, paths=paths)
    assert problem
    assert "s3cr3t" not in problem


@pytest.mark.parametrize("value", [
    "/srv/mysite", "/srv/dist/mysite-1.2.0-py3-none-any.whl", "https://example.com/mysite-1.2.0.tar.gz",
    "git+https://github.com/example/mysite.git@v1.2#egg=mysite", "git+ssh://git@github.com/example/mysite.git",
    "file:///srv/dist/mysite-1.2.0.tar.gz",
])
def test_with_paths_what_pip_takes_as_a_package_is_fine(value):
    assert requirement_problem(value, paths=True) == ""
    assert requirement_problem(value) != ""
