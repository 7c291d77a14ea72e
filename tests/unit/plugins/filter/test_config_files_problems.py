# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""app_config_files: each mistake named by entry and key, and no content ever quoted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.config_files_problems import FilterModule

problems = FilterModule().filters()["config_files_problems"]
SECRET = "s3cret-value"


def test_a_valid_list_has_no_problem():
    assert problems([
        {"path": "settings.cfg", "content": "SECRET_KEY = '%s'\n" % SECRET},
        {"path": "config.py", "content": "", "mode": "0440"},
        {"path": "old.cfg", "state": "absent"},
    ], reserved=["environment"]) == []
    assert problems([]) == []


@pytest.mark.parametrize("files, expected", [
    ("settings.cfg", "app_config_files must be a list"),
    (["settings.cfg"], "app_config_files[0] must be a mapping"),
    ([{"content": SECRET}], "app_config_files[0].path is required"),
    ([{"path": "/etc/passwd", "content": SECRET}], "app_config_files[0].path must be a path relative to the app's config directory"),
    ([{"path": "../nginx/nginx.conf", "content": SECRET}], "app_config_files[0].path"),
    ([{"path": "a b.cfg", "content": SECRET}], "must not contain spaces"),
    ([{"path": "instance/config.py", "content": SECRET}], "app_config_files[0].path must be a file name in the app's config"),
    ([{"path": "environment", "content": SECRET}], "app_config_files[0].path environment is written by the collection"),
    ([{"path": "a.cfg", "content": SECRET}, {"path": "a.cfg", "content": SECRET}], "app_config_files[1].path a.cfg is listed twice"),
    ([{"path": "a.cfg"}], "app_config_files[0].content must be a string"),
    ([{"path": "a.cfg", "content": {"SECRET_KEY": SECRET}}], "app_config_files[0].content must be a string"),
    ([{"path": "a.cfg", "content": SECRET, "mode": 416}], "must be an octal mode written as a quoted string"),
    ([{"path": "a.cfg", "content": SECRET, "mode": "0644"}], "app_config_files[0].mode must let the app's group read"),
    ([{"path": "a.cfg", "content": SECRET, "mode": "0600"}], "app_config_files[0].mode must let the app's group read"),
    ([{"path": "a.cfg", "content": SECRET, "mode": "0660"}], "app_config_files[0].mode must let the app's group read"),
    ([{"path": "a.cfg", "content": SECRET, "state": "gone"}], "app_config_files[0].state must be present or absent"),
    ([{"path": "a.cfg", "content": SECRET, "owner": "root"}], "app_config_files[0] has unknown keys owner"),
])
def test_each_mistake_is_named_and_no_content_is_quoted(files, expected):
    found = problems(files, reserved=["environment"])
    assert any(expected in problem for problem in found), found
    assert SECRET not in " ".join(found)
