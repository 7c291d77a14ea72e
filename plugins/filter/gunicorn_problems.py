# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with gunicorn settings and hooks, from the module's catalogue, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# What the module says about raw_env up to the value it quotes: the values are
# the app's secrets.
RAW_ENV = re.compile(r"\A(raw_env[^:]*:)")


def gunicorn_problems(settings, hooks=None, process_manager="none"):
    """Every problem the gunicorn_config module would refuse, each naming its setting; empty when none.

    A problem with raw_env says where, never the value: raw_env holds secrets."""
    # Imported here, not when the filter is loaded: Ansible loads every filter
    # file of the collection in each task's worker that uses one of them, and
    # the catalogue takes 7 ms to import (tls_problem.py says the same).
    from ansible_collections.flaskstack.deploy.plugins.module_utils.gunicorn_settings import SettingsError, validate

    try:
        validate(settings, hooks or {}, process_manager)
    except SettingsError as exc:
        return [("%s wrong form (KEY=value strings, or a mapping of KEY to a string); the value is "
                 "not shown, it may be secret" % RAW_ENV.match(error).group(1)) if RAW_ENV.match(error) else error
                for error in exc.errors]
    return []


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"gunicorn_problems": gunicorn_problems}
