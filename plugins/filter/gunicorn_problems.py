# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with gunicorn settings and hooks, from the module's catalogue, on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flaskstack.deploy.plugins.module_utils.gunicorn_settings import SettingsError, validate


def gunicorn_problems(settings, hooks=None, process_manager="none"):
    """Every problem the gunicorn_config module would refuse, each naming its setting; empty when none."""
    try:
        validate(settings, hooks or {}, process_manager)
    except SettingsError as exc:
        return list(exc.errors)
    return []


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"gunicorn_problems": gunicorn_problems}
