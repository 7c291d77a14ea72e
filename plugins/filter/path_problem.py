# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with a path the collection will own, write or delete; empty when nothing is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

# Directories of the system itself, and the collection's shared parents: a path
# that is one of them would have the collection chown, chmod or delete it for
# one app. Their subdirectories are fine (/srv/shop, /etc/flaskstack/shop).
SYSTEM_DIRECTORIES = frozenset([
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    "/etc/nginx", "/etc/ssl", "/etc/supervisor", "/etc/systemd", "/etc/systemd/system",
    "/run/lock", "/run/systemd", "/run/user",
    "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/local", "/usr/local/bin", "/usr/local/lib",
    "/usr/local/sbin", "/usr/sbin", "/usr/share", "/usr/src",
    "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt",
    "/var/run", "/var/spool", "/var/tmp", "/var/www",
    "/etc/flaskstack", "/srv/flaskstack",
])
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path, under="", relative=False, spaces=False, apart=()):
    """Reason the path may not be used, or "" when it may.

    The path must be a string, absolute, written in its normal form (no '.',
    '..', '//' or trailing '/'), free of control characters (a newline ends a
    line of a unit or config file), not a system directory, and below `under`
    when that is given.

    With relative, the path is one inside a directory of the app (a file of
    its code): relative, in normal form, never climbing out with '..', and
    not starting with '-' (a command would read it as an option).

    A path on the host holds no spaces: unit files and tmpfiles.d lines
    split on them. With spaces, a path may (one on the controller)."""
    if not isinstance(path, str):
        return "must be a path, not %s" % type(path).__name__
    if CONTROL.search(path):
        return "must not contain a newline or other control character"
    if relative:
        return _relative_problem(path)
    if not spaces and re.search(r"\s", path):
        return "must not contain spaces (unit and tmpfiles.d lines split on them)"
    if not path.startswith("/"):
        return "must be an absolute path"
    if path != "/" and posixpath.normpath(path) != path or path.startswith("//"):
        return "must be written in normal form, without '.', '..', '//' or a trailing '/' (this one means %s)" % (
            posixpath.normpath("/" + path.lstrip("/")))
    if path in SYSTEM_DIRECTORIES:
        return "must not be a system directory or a directory every app shares: the collection " \
               "owns, writes or deletes this path for one app"
    if under and not path.startswith(under.rstrip("/") + "/"):
        return "must be under %s/" % under.rstrip("/")
    for other in [item.rstrip("/") for item in apart or () if isinstance(item, str) and item.strip("/")]:
        if path == other or path.startswith(other + "/") or other.startswith(path + "/"):
            return "must be apart from %s (not it, not in it, not holding it): the collection replaces, " \
                   "empties or deletes that directory" % other
    return ""


def _relative_problem(path):
    if not path or path.startswith("/"):
        return "must be a path relative to the app's code, such as requirements.txt"
    if path.startswith("-"):
        return "must not start with '-' (pip would read it as an option)"
    normal = posixpath.normpath(path)
    if normal == ".":
        return "must name a file inside the app's code, not the code directory itself"
    if normal == ".." or normal.startswith("../"):
        return "must stay inside the app's code: '..' climbs out of it"
    if normal != path:
        return "must be written in normal form, without '.', '..', '//' or a trailing '/' (this one means %s)" % normal
    return ""


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"path_problem": path_problem}
