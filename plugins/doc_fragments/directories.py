# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The directories option of the collection's modules that write files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  directories:
    description:
      - Directories made sure of before the file is written, in the same call to the
        host, in the order given (a parent before its child). Each is created if
        missing (missing parents as C(mkdir -p) makes them), then given its owner,
        group and mode.
        Saves a C(ansible.builtin.file) round trip for each.
      - In check mode and diff mode they are reported like the file.
    type: list
    elements: dict
    default: []
    version_added: "0.2.0"
    suboptions:
      path:
        description: Absolute path of the directory.
        type: path
        required: true
      owner:
        description: Its owner; left as it is when not given.
        type: str
      group:
        description: Its group; left as it is when not given.
        type: str
      mode:
        description: Its mode, as an octal string such as C("0750"); left as it is when not given.
        type: raw
      if_missing:
        description:
          - Give the owner, group and mode only when this call creates the directory;
            an existing one is left as it is (a parent an administrator set up).
        type: bool
        default: false
"""
