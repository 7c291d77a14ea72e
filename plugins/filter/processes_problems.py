# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with an app's processes besides the web one (app_processes), entry by entry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flaskstack.deploy.plugins.plugin_utils.entries import line_problem, list_entries, name_problem

KEYS = frozenset(["name", "command", "stop_timeout", "count"])
# The bounds of the whole numbers an entry may give: key -> (least, most, what).
NUMBERS = {"stop_timeout": (1, 3600, "seconds"), "count": (1, 16, "processes")}


def processes_problems(processes):
    """Problems of app_processes, each naming the entry and key (app_processes[0].name ...); [] when none.

    Each entry: name (lowercase letters, digits and -, starting with a letter,
    32 at most, each once: it names the process's systemd unit or supervisor
    program), command (a shell command on one line), and optionally
    stop_timeout (whole seconds, 1 to 3600) and count (1 to 16)."""
    problems, entries = list_entries(processes, "app_processes", KEYS, ["name", "command"])
    seen = set()
    for label, entry in entries:
        problems.extend(filter(None, [name_problem(label, entry.get("name"), seen),
                                      line_problem(label, "command", entry.get("command"))]))
        for key, (least, most, what) in sorted(NUMBERS.items()):
            value = entry.get(key, least)
            # A templated number reaches the filter as a string of digits.
            value = int(value) if isinstance(value, str) and value.isdigit() else value
            if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
                problems.append("%s.%s must be a whole number of %s from %d to %d; got %r"
                                % (label, key, what, least, most, value))
    return problems


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"processes_problems": processes_problems}
