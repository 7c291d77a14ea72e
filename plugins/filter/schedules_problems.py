# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with an app's scheduled jobs (app_schedules), entry by entry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.flaskstack.deploy.plugins.plugin_utils.entries import list_entries

KEYS = frozenset(["name", "command", "on_calendar", "run_on"])
NAME = re.compile(r"\A[a-z][a-z0-9-]{0,31}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def schedules_problems(schedules):
    """Problems of app_schedules, each naming the entry and key (app_schedules[0].name ...); [] when none.

    Each entry: name (lowercase letters, digits and -, starting with a letter,
    32 at most, each once: it names the job's systemd units), command (a
    shell command on one line), on_calendar (systemd's calendar syntax, on
    one line: the host checks the rest) and run_on (one, the default, or all)."""
    problems, entries = list_entries(schedules, "app_schedules", KEYS, ["name", "command", "on_calendar"])
    seen = set()
    for label, entry in entries:
        name = entry.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append("%s.name must be lowercase letters, digits and -, starting with a letter (32 at most); "
                            "got %r" % (label, name))
        elif name in seen:
            problems.append("%s.name %s is listed twice" % (label, name))
        else:
            seen.add(name)
        for key in ("command", "on_calendar"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append("%s.%s must be a non-empty string" % (label, key))
            elif CONTROL.search(value):
                problems.append("%s.%s must be one line, without control characters" % (label, key))
        if entry.get("run_on", "one") not in ("one", "all"):
            problems.append("%s.run_on must be one (the first app server) or all" % label)
    return problems


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"schedules_problems": schedules_problems}
