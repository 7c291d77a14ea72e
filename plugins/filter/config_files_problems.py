# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with an app's list of config files (app_config_files), by names only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.flaskstack.deploy.plugins.filter.path_problem import path_problem
from ansible_collections.flaskstack.deploy.plugins.plugin_utils.entries import list_entries

KEYS = frozenset(["path", "content", "mode", "state"])
MODE = re.compile(r"\A0?[0-7]{3}\Z")


def mode_problem(mode):
    """Why a file mode may not be used for a root-owned file the app's group reads; "" when it may."""
    if not isinstance(mode, str) or not MODE.match(mode):
        return "must be an octal mode written as a quoted string, like '0640'"
    bits = int(mode, 8)
    if bits & 0o077 != 0o040:
        return "must let the app's group read the file and nobody else (group r, not w or x; others nothing), " \
               "like '0640' or '0440'"
    return ""


def config_files_problems(files, reserved=()):
    """Problems of app_config_files, each naming the entry and key (app_config_files[1].path ...),
    never a file's content; [] when there is none.

    Each entry: path (a file name in the app's config directory, not one
    of the reserved names, each once), content (a string, when state is
    present), mode (quoted octal, the app's group reads, others nothing)
    and state (present or absent)."""
    problems, entries = list_entries(files, "app_config_files", KEYS, ["path", "content"])
    seen = set()
    for name, entry in entries:
        path = entry.get("path")
        problem = "is required" if path is None else path_problem(path, relative=True).replace(
            "the app's code", "the app's config directory").replace(", such as requirements.txt", "")
        if not problem and re.search(r"\s", path):
            problem = "must not contain spaces"
        if not problem and "/" in path:
            problem = "must be a file name in the app's config directory, without '/'"
        if problem:
            problems.append("%s.path %s" % (name, problem))
        elif path in reserved:
            problems.append("%s.path %s is written by the collection itself" % (name, path))
        elif path in seen:
            problems.append("%s.path %s is listed twice" % (name, path))
        else:
            seen.add(path)
        state = entry.get("state", "present")
        if state not in ("present", "absent"):
            problems.append("%s.state must be present or absent" % name)
        if state == "present" and not isinstance(entry.get("content"), str):
            problems.append("%s.content must be a string (the file's whole text)" % name)
        if "mode" in entry and mode_problem(entry["mode"]):
            problems.append("%s.mode %s" % (name, mode_problem(entry["mode"])))
    return problems


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"config_files_problems": config_files_problems}
