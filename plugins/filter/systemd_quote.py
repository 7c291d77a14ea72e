# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A string as one argument of a systemd Exec line, taken word for word."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def systemd_quote(value):
    """value between double quotes, with what systemd would otherwise read
    escaped: backslash and double quote (its quoting), $ (its variables, as
    $$) and % (its specifiers, as %%). A newline cannot be written."""
    if not isinstance(value, str):
        raise AnsibleFilterError("systemd_quote takes a string, not %s" % type(value).__name__)
    if "\n" in value or "\r" in value or "\x00" in value:
        raise AnsibleFilterError("systemd_quote: an Exec argument cannot hold a newline or NUL")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$").replace("%", "%%")
    return '"%s"' % escaped


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"systemd_quote": systemd_quote}
