# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd_quote: what systemd would read otherwise is escaped; systemd itself
checks the result where it runs (the scenario's scheduled jobs)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.flaskstack.deploy.plugins.filter.systemd_quote import FilterModule

quote = FilterModule().filters()["systemd_quote"]


@pytest.mark.parametrize("value, quoted", [
    ("flask send-digest", '"flask send-digest"'),
    ('echo "$HOME" > $STATE_DIRECTORY/x', '"echo \\"$$HOME\\" > $$STATE_DIRECTORY/x"'),
    ("date +%s", '"date +%%s"'),
    ("a\\b", '"a\\\\b"'),
    ("", '""'),
])
def test_systemd_s_own_characters_are_escaped(value, quoted):
    assert quote(value) == quoted


@pytest.mark.parametrize("value", ["a\nb", "a\x00", 3])
def test_what_cannot_be_one_argument_is_refused(value):
    with pytest.raises(AnsibleFilterError):
        quote(value)
