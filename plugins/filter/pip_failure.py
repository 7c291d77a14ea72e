# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed pip run said, without what it may quote: lines of the files it read, URL credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
CREDENTIALS = re.compile(r"(://)[^/@\s]*@")


def pip_failure(result):
    """One line for a failed pip run's result (a command or ansible.builtin.pip result).

    pip's first ERROR line (else its last line), with every quoted part left
    out (pip quotes the lines of a requirements file it cannot read, which
    may be a file of secrets; newer pip repeats the line unquoted below, which
    is why only the ERROR line is taken) and credentials in URLs left out."""
    result = result or {}
    text = (result.get("stderr") or result.get("stdout") or result.get("msg") or "").strip()
    lines = text.splitlines()
    errors = [line for line in lines if line.startswith("ERROR:")]
    line = (errors or lines or [""])[0 if errors else -1]
    line = CREDENTIALS.sub(r"\1***@", QUOTED.sub("'...'", line)).strip()
    return "pip failed (exit %s): %s" % (result.get("rc", "?"), line or "no output")


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"pip_failure": pip_failure}
