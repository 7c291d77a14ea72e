# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the checks of list variables share: a list of mappings of known keys."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def list_entries(value, variable, keys, required):
    """(problems, [(label, entry)]) of a list variable whose entries are
    mappings of the known keys; label names an entry (app_schedules[0]), and
    required names the keys an entry must have, for the messages."""
    shape = " and ".join(filter(None, [", ".join(required[:-1]), required[-1]]))
    if not isinstance(value, list):
        return ["%s must be a list of {%s} mappings" % (variable, ", ".join(required))], []
    problems, entries = [], []
    for index, entry in enumerate(value):
        label = "%s[%d]" % (variable, index)
        if not isinstance(entry, dict):
            problems.append("%s must be a mapping with %s" % (label, shape))
            continue
        unknown = sorted(str(key) for key in entry if key not in keys)
        if unknown:
            problems.append("%s has unknown keys %s (known: %s)" % (label, ", ".join(unknown), ", ".join(sorted(keys))))
        entries.append((label, entry))
    return problems, entries
