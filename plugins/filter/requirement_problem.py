# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with a value the roles hand to pip as a requirement; empty when nothing is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What pip also takes as a package, beside a requirement: an archive's URL
# or a version control URL (git+https://...@v1.2#egg=shop).
URL = re.compile(r"\A(https?|file|(git|hg|svn|bzr)\+(https?|ssh|file|git))://[A-Za-z0-9/]")
EXAMPLE = "a requirement such as 'mysite==1.2.0' or 'mysite @ https://example.com/mysite-1.2.0.tar.gz' (PEP 508)"


def requirement_problem(value, paths=False):
    """Reason pip must not be given this value, or "" when it may.

    A value that starts with '-' would reach pip as an option (for example
    --requirement=/etc/shadow, which makes pip print the file's lines); any
    other value must be a PEP 508 requirement. With paths, the absolute path
    of a package on the host (a wheel, an sdist or a project directory), an
    archive's URL or a version control URL are accepted too."""
    if not isinstance(value, str):
        return "must be %s, not %s" % (EXAMPLE, type(value).__name__)
    if CONTROL.search(value):
        return "must not contain a newline or other control character"
    if not value.strip():
        return "must be %s, not empty" % EXAMPLE
    if value.lstrip().startswith("-"):
        return "must be %s, not a pip option (it starts with '-')" % EXAMPLE
    if paths and value.startswith("/"):
        if posixpath.normpath(value) != value.rstrip("/") or value.startswith("//"):
            return "must be a package's path in normal form, without '.', '..' or '//'"
        return ""
    if paths and URL.match(value):
        return "" if not re.search(r"\s", value) else "must not contain spaces"
    # ansible-core depends on packaging; imported here so the plugin loads anywhere.
    from packaging.requirements import InvalidRequirement, Requirement
    try:
        Requirement(value)
    except InvalidRequirement as error:
        return "must be %s%s: %s" % (
            EXAMPLE, ", a package's absolute path or URL" if paths else "", str(error).splitlines()[0])
    return ""


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"requirement_problem": requirement_problem}
