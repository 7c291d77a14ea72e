# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with a repository or a revision the roles hand to git; empty when nothing is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
# Transports that fetch; not ext:: (which runs a command) or fd::. The user
# and host start with a letter or digit: ssh reads "-oProxyCommand=..." as
# an option (CVE-2017-1000117).
URL = re.compile(r"\A(https?|ssh|git|git\+ssh|ssh\+git)://([A-Za-z0-9][A-Za-z0-9._~%-]*(:[^@/]*)?@)?"
                 r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:[0-9]+)?(/|\Z)")
FILE_URL = re.compile(r"\Afile://(/.*)\Z")
# [user@]host:path, git's scp-like form for SSH (host may be an alias of
# ~/.ssh/config); not "ext::" or "fd::", the transports that run a command.
SCP_LIKE = re.compile(r"\A([A-Za-z0-9][A-Za-z0-9._-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!:)")
# A branch, tag or commit: git's own rules for a ref name, simplified.
REVISION = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9._/+-]*\Z")


def git_source_problem(value, revision=False):
    """Reason git must not be given this repository (or, with revision, this
    branch, tag or commit), or "" when it may.

    A value starting with '-' would reach git as an option
    (--upload-pack=<command> runs the command); a repository must be an
    https, http, ssh, git or file URL, user@host:path, or an absolute path;
    a revision must be a plain branch, tag or commit name."""
    if not isinstance(value, str):
        return "must be a string, not %s" % type(value).__name__
    if value.startswith("-"):
        return "must not start with '-' (git would read it as an option)"
    if CONTROL_OR_SPACE.search(value):
        return "must not contain spaces, newlines or other control characters"
    if revision:
        if not REVISION.match(value) or ".." in value or value.endswith((".", "/", ".lock")) or "//" in value:
            return "must be a branch, tag or commit name, such as main, v1.2.0 or a commit hash"
        return ""
    if URL.match(value) or ("://" not in value and SCP_LIKE.match(value)):
        return ""
    local = FILE_URL.match(value)
    path = local.group(1) if local else value
    if path.startswith("/"):
        if posixpath.normpath(path) != path.rstrip("/") or path.startswith("//"):
            return "must be an absolute path in normal form, without '.', '..' or '//'"
        return ""
    return ("must be a repository URL (https://, ssh://, git://, file://), [user@]host:path, or an absolute "
            "path on the host")


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"git_source_problem": git_source_problem}
