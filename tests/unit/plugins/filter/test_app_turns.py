# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each app's turn: the entry, with its name and state from the entry or the top level."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flaskstack.deploy.plugins.filter.app_turns import FilterModule

app_turns = FilterModule().filters()["app_turns"]


def test_the_one_app_of_the_top_level_takes_the_given_name_and_state():
    assert app_turns([{}], "demo", "present") == [{"name": "demo", "state": "present", "entry": {}}]


def test_an_entry_s_own_name_and_state_win():
    entry = {"flaskstack_app_name": "old", "flaskstack_app_state": "absent", "nginx_server_name": "old.test"}
    assert app_turns([entry], "demo", "present") == [{"name": "old", "state": "absent", "entry": entry}]


def test_entries_keep_their_order_and_each_falls_back_on_its_own():
    entries = [{"flaskstack_app_name": "shop"}, {"flaskstack_app_name": "blog", "flaskstack_app_state": "absent"}, {}]
    assert [(turn["name"], turn["state"]) for turn in app_turns(entries, "demo", "present")] == [
        ("shop", "present"), ("blog", "absent"), ("demo", "present")]


def test_the_entry_is_the_same_object_not_a_copy_with_more_keys():
    entry = {"flaskstack_app_name": "shop"}
    turn = app_turns([entry], "demo", "present")[0]
    assert turn["entry"] is entry and entry == {"flaskstack_app_name": "shop"}


def test_no_entries_no_turns():
    assert app_turns([], "demo", "present") == []
