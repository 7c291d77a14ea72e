# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with directives a user adds to the app's systemd unit; empty when nothing is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DIRECTIVE = re.compile(r"\A[A-Z][A-Za-z0-9]*\Z")
# The role sets who the app runs as (flaskstack_app_user, flaskstack_app_group).
IDENTITY = ("User", "Group", "DynamicUser")
# Exec lines whose prefix holds '+' or '!' run with full privileges
# (systemd.service(5)). systemd skips blanks before a command, unquotes and
# unescapes its first word, and gives each command after " ; " prefixes of
# its own: every command's first word is looked at, quotes and all.
PRIVILEGED_EXEC = re.compile(r"\A[\"']?[-@:\"']*[+!]")
COMMANDS = re.compile(r"\s;\s")
# The app may bind a low port; nothing else a capability would give it.
CAPABILITIES = ("AmbientCapabilities", "CapabilityBoundingSet")
ALLOWED_CAPABILITIES = frozenset(["CAP_NET_BIND_SERVICE"])
# Read or opened by systemd itself, as root, for the app: a file the app
# could not read (LoadCredential=s:/etc/shadow) or write (StandardOutput=
# append:/etc/sudoers.d/x) would reach it. The app's environment is
# gunicorn_settings.raw_env.
ROOT_FILE_DIRECTIVES = frozenset(["EnvironmentFile", "LoadCredential", "LoadCredentialEncrypted", "ImportCredential",
                                  "StandardInput", "StandardOutput", "StandardError", "PAMName", "TTYPath"])
# Groups whose members can read secrets, raw disks or become root.
PRIVILEGED_GROUPS = frozenset(["root", "0", "sudo", "wheel", "adm", "shadow", "disk", "docker", "lxd", "kvm"])


def _lines(value):
    return value if isinstance(value, list) else [value]


def systemd_settings_problem(settings):
    """Reason these [Service] directives may not go into the app's unit, or "" when they may.

    Names must be directive names; values strings, numbers, booleans, null
    (drops a directive) or lists of them (repeated lines), without newlines
    (a newline would start a directive of its own). Nothing may make the app
    run as root: User, Group and DynamicUser are the role's, no command of an
    Exec line may carry the '+' or '!' prefix, PermissionsStartOnly is
    refused, capabilities stop at CAP_NET_BIND_SERVICE, supplementary
    groups may not be root's, sudo's and the like, and no directive may have
    systemd open a file as root for the app (EnvironmentFile, LoadCredential,
    StandardOutput...)."""
    if not isinstance(settings, dict):
        return "must be a mapping of [Service] directive names to values, not %s" % type(settings).__name__
    for name in sorted(settings, key=str):
        value = settings[name]
        if not isinstance(name, str) or not DIRECTIVE.match(name):
            return "%r is not a systemd directive name (such as LimitNOFILE)" % (name,)
        if name in IDENTITY:
            return ("%s: the unit runs as the app's user and group (flaskstack_app_user, flaskstack_app_group), "
                    "never as root; set those instead" % name)
        if name == "PermissionsStartOnly":
            return "PermissionsStartOnly: would run the unit's other commands as root"
        if name in ROOT_FILE_DIRECTIVES:
            return ("%s: systemd would open its files as root for the app; the app's environment goes in "
                    "gunicorn_settings.raw_env" % name)
        for line in _lines(value):
            if line is not None and (isinstance(line, (list, dict)) or not isinstance(line, (str, int, float, bool))):
                return "%s: a value must be a string, a number, a boolean, null or a list of them" % name
            if isinstance(line, str) and CONTROL.search(line):
                return "%s: must not contain a newline or other control character" % name
            if isinstance(line, str):
                problem = _line_problem(name, line)
                if problem:
                    return problem
    return ""


def _line_problem(name, line):
    if name.startswith("Exec"):
        for command in COMMANDS.split(line):
            first = (command.split(None, 1) or [""])[0]
            if "\\" in first:
                return "%s: a command's path may not hold escapes ('\\')" % name
            if PRIVILEGED_EXEC.match(first):
                return "%s: a '+' or '!' prefix would run the command as root" % name
    if name in CAPABILITIES:
        wanted = set(line.replace(",", " ").split()) if line.strip() else set()
        if line.strip().startswith("~") or wanted - ALLOWED_CAPABILITIES:
            return "%s: only CAP_NET_BIND_SERVICE may be given; other capabilities make the app root-equivalent" % name
    if name == "SupplementaryGroups":
        groups = set(line.split())
        if groups & PRIVILEGED_GROUPS:
            return "SupplementaryGroups: %s would let the app read secrets or become root" % ", ".join(
                sorted(groups & PRIVILEGED_GROUPS))
    return ""


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"systemd_settings_problem": systemd_settings_problem}
