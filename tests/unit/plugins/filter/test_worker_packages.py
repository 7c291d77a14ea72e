# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter the python role uses gives the module's own table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.worker_packages import FilterModule


@pytest.mark.parametrize(
    "worker_class, expected",
    [
        ("sync", []),
        ("gthread", []),
        ("gevent", ["gevent", "packaging"]),
        ("gevent_wsgi", ["gevent", "packaging"]),
        ("gevent_pywsgi", ["gevent", "packaging"]),
        ("tornado", ["tornado"]),
        ("mysite.workers.FastWorker", []),
    ],
)
def test_worker_packages(worker_class, expected):
    assert FilterModule().filters()["worker_packages"](worker_class) == expected
