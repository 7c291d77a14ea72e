# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the checks of list variables share: a list of mappings of known keys."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


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


NAME = re.compile(r"\A[a-z][a-z0-9-]{0,31}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def name_problem(label, name, seen):
    """The problem of an entry's name, which names systemd units or programs:
    lowercase letters, digits and -, starting with a letter, 32 at most, each
    once (seen collects the names); None when there is none."""
    if not isinstance(name, str) or not NAME.match(name):
        return ("%s.name must be lowercase letters, digits and -, starting with a letter (32 at most); got %r"
                % (label, name))
    if name in seen:
        return "%s.name %s is listed twice" % (label, name)
    seen.add(name)
    return None


def line_problem(label, key, value):
    """The problem of a value that must be a non-empty string on one line; None when there is none."""
    if not isinstance(value, str) or not value.strip():
        return "%s.%s must be a non-empty string" % (label, key)
    if CONTROL.search(value):
        return "%s.%s must be one line, without control characters" % (label, key)
    return None
