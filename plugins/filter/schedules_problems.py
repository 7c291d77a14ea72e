# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with an app's scheduled jobs (app_schedules), entry by entry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flaskstack.deploy.plugins.plugin_utils.entries import line_problem, list_entries, name_problem

KEYS = frozenset(["name", "command", "on_calendar", "run_on"])


def schedules_problems(schedules):
    """Problems of app_schedules, each naming the entry and key (app_schedules[0].name ...); [] when none.

    Each entry: name (lowercase letters, digits and -, starting with a letter,
    32 at most, each once: it names the job's systemd units), command (a
    shell command on one line), on_calendar (systemd's calendar syntax, on
    one line: the host checks the rest) and run_on (one, the default, or all)."""
    problems, entries = list_entries(schedules, "app_schedules", KEYS, ["name", "command", "on_calendar"])
    seen = set()
    for label, entry in entries:
        problems.extend(filter(None, [name_problem(label, entry.get("name"), seen)]
                               + [line_problem(label, key, entry.get(key)) for key in ("command", "on_calendar")]))
        if entry.get("run_on", "one") not in ("one", "all"):
            problems.append("%s.run_on must be one (the first app server) or all" % label)
    return problems


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"schedules_problems": schedules_problems}
