# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A failed pip run is told in one line, without the lines of files it quotes or URL credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flaskstack.deploy.plugins.filter.pip_failure import FilterModule

pip_failure = FilterModule().filters()["pip_failure"]

SHADOW = "root:$y$j9T$PaSsWoRdHaSh:19000:0:99999:7:::"


def test_old_pip_quotes_the_line_and_it_is_left_out():
    result = {"rc": 1, "stderr": "ERROR: Invalid requirement: '%s' (from line 1 of /srv/r.txt)\n" % SHADOW}
    message = pip_failure(result)
    assert message == "pip failed (exit 1): ERROR: Invalid requirement: '...' (from line 1 of /srv/r.txt)"


def test_new_pip_repeats_the_line_unquoted_and_only_the_error_line_is_taken():
    stderr = ("ERROR: Invalid requirement: '%s': Expected semicolon\n    %s\n        ^ (from line 1 of r.txt)\n"
              % (SHADOW, SHADOW))
    message = pip_failure({"rc": 1, "stderr": stderr})
    assert "PaSsWoRdHaSh" not in message and "Invalid requirement" in message


def test_url_credentials_are_left_out_and_the_module_message_is_used_without_output():
    message = pip_failure({"msg": "Could not fetch https://deploy:s3cr3t@pypi.example.com/simple/flask/"})
    assert "s3cr3t" not in message and "https://***@pypi.example.com" in message
    assert message.startswith("pip failed (exit ?): ")


def test_without_an_error_line_the_last_line_is_told():
    assert pip_failure({"rc": 2, "stdout": "Collecting flask\nNo matching distribution found for flask==99"}) == (
        "pip failed (exit 2): No matching distribution found for flask==99")
    assert pip_failure({"rc": 1}) == "pip failed (exit 1): no output"
