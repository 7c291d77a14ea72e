# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""app_schedules: each mistake named by entry and key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.schedules_problems import FilterModule

problems = FilterModule().filters()["schedules_problems"]


def test_a_valid_list_has_no_problem():
    assert problems([
        {"name": "nightly", "command": "flask send-digest", "on_calendar": "*-*-* 03:00:00"},
        {"name": "cleanup-2", "command": "flask purge --days 30", "on_calendar": "hourly", "run_on": "all"},
    ]) == []
    assert problems([]) == []


@pytest.mark.parametrize("schedules, expected", [
    ({"name": "x"}, "app_schedules must be a list"),
    (["flask x"], "app_schedules[0] must be a mapping"),
    ([{"name": "Nightly", "command": "x", "on_calendar": "daily"}], "app_schedules[0].name must be lowercase"),
    ([{"name": "a.b", "command": "x", "on_calendar": "daily"}], "app_schedules[0].name must be lowercase"),
    ([{"command": "x", "on_calendar": "daily"}], "app_schedules[0].name must be lowercase"),
    ([{"name": "a", "command": "x", "on_calendar": "daily"}, {"name": "a", "command": "y", "on_calendar": "daily"}],
     "app_schedules[1].name a is listed twice"),
    ([{"name": "a", "on_calendar": "daily"}], "app_schedules[0].command must be a non-empty string"),
    ([{"name": "a", "command": " ", "on_calendar": "daily"}], "app_schedules[0].command must be a non-empty string"),
    ([{"name": "a", "command": "x\ny", "on_calendar": "daily"}], "app_schedules[0].command must be one line"),
    ([{"name": "a", "command": "x"}], "app_schedules[0].on_calendar must be a non-empty string"),
    ([{"name": "a", "command": "x", "on_calendar": "daily\nOnBootSec=1"}], "app_schedules[0].on_calendar must be one line"),
    ([{"name": "a", "command": "x", "on_calendar": "daily", "run_on": "every"}], "app_schedules[0].run_on must be one"),
    ([{"name": "a", "command": "x", "on_calendar": "daily", "user": "root"}], "app_schedules[0] has unknown keys user"),
])
def test_each_mistake_is_named(schedules, expected):
    found = problems(schedules)
    assert any(expected in problem for problem in found), found
