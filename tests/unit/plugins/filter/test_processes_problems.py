# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""app_processes: each mistake named by entry and key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.processes_problems import FilterModule

problems = FilterModule().filters()["processes_problems"]


def test_a_valid_list_has_no_problem():
    assert problems([
        {"name": "worker", "command": "python -m huey.bin.huey_consumer app.huey"},
        {"name": "beat-2", "command": "celery -A app beat", "stop_timeout": 3600, "count": 16},
        {"name": "one", "command": "x", "stop_timeout": 1, "count": 1},
        {"name": "templated", "command": "x", "stop_timeout": "60", "count": "2"},
    ]) == []
    assert problems([]) == []


@pytest.mark.parametrize("processes, expected", [
    ({"name": "x"}, "app_processes must be a list of {name, command}"),
    (["celery worker"], "app_processes[0] must be a mapping with name and command"),
    ([{"name": "Worker", "command": "x"}], "app_processes[0].name must be lowercase"),
    ([{"name": "a@b", "command": "x"}], "app_processes[0].name must be lowercase"),
    ([{"command": "x"}], "app_processes[0].name must be lowercase"),
    ([{"name": "a", "command": "x"}, {"name": "a", "command": "y"}], "app_processes[1].name a is listed twice"),
    ([{"name": "a"}], "app_processes[0].command must be a non-empty string"),
    ([{"name": "a", "command": ["celery", "worker"]}], "app_processes[0].command must be a non-empty string"),
    ([{"name": "a", "command": "x\nExecStartPre=/bin/sh"}], "app_processes[0].command must be one line"),
    ([{"name": "a", "command": "x", "count": 0}], "app_processes[0].count must be a whole number of processes from 1 to 16"),
    ([{"name": "a", "command": "x", "count": 17}], "app_processes[0].count must be a whole number"),
    ([{"name": "a", "command": "x", "count": "two"}], "app_processes[0].count must be a whole number"),
    ([{"name": "a", "command": "x", "stop_timeout": True}], "app_processes[0].stop_timeout must be a whole number of seconds"),
    ([{"name": "a", "command": "x", "stop_timeout": 1.5}], "app_processes[0].stop_timeout must be a whole number"),
    ([{"name": "a", "command": "x", "stop_timeout": 0}], "app_processes[0].stop_timeout must be a whole number"),
    ([{"name": "a", "command": "x", "user": "root"}], "app_processes[0] has unknown keys user"),
])
def test_each_mistake_is_named(processes, expected):
    found = problems(processes)
    assert any(expected in problem for problem in found), found
