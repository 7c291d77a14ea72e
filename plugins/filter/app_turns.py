# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each app's turn on a host: its entry of flaskstack_apps, its name and its state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def app_turns(entries, name, state):
    """[{name, state, entry}] for each entry; name and state come from the entry, else the given ones.

    entries: flaskstack_apps, or [{}] for the one app of the top-level variables.
    name, state: flaskstack_app_name and flaskstack_app_state outside any entry.
    """
    turns = []
    for entry in entries:
        turns.append({
            "name": entry.get("flaskstack_app_name", name),
            "state": entry.get("flaskstack_app_state", state),
            "entry": entry,
        })
    return turns


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"app_turns": app_turns}
