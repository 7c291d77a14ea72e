# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gunicorn role's check on the controller gives the module's own verdicts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.gunicorn_problems import FilterModule

gunicorn_problems = FilterModule().filters()["gunicorn_problems"]


def test_the_role_defaults_have_no_problem():
    settings = {"bind": "unix:/run/flaskstack-demo/gunicorn.sock", "workers": "auto", "worker_class": "gthread",
                "threads": 4, "accesslog": "-", "raw_env": ["SECRET_KEY=s3cret"]}
    assert gunicorn_problems(settings, {"post_fork": "server.log.info('forked')"}, "systemd") == []


@pytest.mark.parametrize(
    "settings, hooks, manager, expected",
    [
        ({"wokers": 2}, {}, "none", "wokers: unknown gunicorn setting (did you mean workers?)"),
        ({"daemon": True}, {}, "systemd", "daemon: must be false under systemd"),
        ({"daemon": True}, {}, "supervisor", "daemon: must be false under supervisor"),
        ({"bind": "localhost:0"}, {}, "none", "the port must be a number from 1 to 65535"),
        ({}, {"post_fork": "def ("}, "none", "post_fork"),
        ({"post_fork": "pass"}, {}, "none", "post_fork: is a server hook"),
    ],
)
def test_each_problem_names_its_setting(settings, hooks, manager, expected):
    problems = gunicorn_problems(settings, hooks, manager)
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_listed_not_only_the_first():
    problems = gunicorn_problems({"wokers": 2, "timeout": "30s"}, None, "none")
    assert len(problems) == 2
    assert problems[0].startswith("timeout:") and problems[1].startswith("wokers:")


def test_daemon_is_fine_without_a_process_manager():
    assert gunicorn_problems({"daemon": True}) == []


@pytest.mark.parametrize("raw_env", [
    [{"SECRET_KEY": "s3cr3t"}],
    ["DATABASE_URL postgres://u:s3cr3t@db/x"],
    {"SECRET_KEY": ["s3cr3t"]},
])
def test_a_raw_env_problem_never_shows_the_value(raw_env):
    problems = gunicorn_problems({"raw_env": raw_env})
    assert problems and all(problem.startswith("raw_env") for problem in problems), problems
    assert "s3cr3t" not in " ".join(problems)
