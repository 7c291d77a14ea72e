# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python packages a gunicorn worker class needs, from the module's catalogue."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def worker_packages(worker_class):
    """List of packages the worker class imports beyond gunicorn; empty when none are known."""
    # Imported when called, not when loaded (see gunicorn_problems.py).
    from ansible_collections.flaskstack.deploy.plugins.module_utils.gunicorn_settings import required_packages

    return list(required_packages(worker_class))


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"worker_packages": worker_packages}
