# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A name for a directory of code on the controller: the same files give the same name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible.errors import AnsibleFilterError

from ansible_collections.flaskstack.deploy.plugins.plugin_utils.code_tree import code_entries


def _file_sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(directory):
    """SHA-1 of the sorted "relative-path file-sha1" entries of every regular file
    under directory (hidden ones too, *.pyc and symbolic links left out, links
    to directories not followed)."""
    directory = str(directory).rstrip("/") or "/"
    if not os.path.isdir(directory):
        raise AnsibleFilterError("tree_digest: %s is not a directory on the controller" % directory)
    lines = [(path, "%s %s" % (os.path.relpath(path, directory), _file_sha1(path)))
             for path, kind in code_entries(directory) if kind == "file"]
    # Joined by a backslash and an n, two characters, as release names were
    # made before this filter: a host's releases keep their names.
    text = "\\n".join(line for _path, line in sorted(lines))
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


class FilterModule:
    """Filters of flaskstack.deploy."""

    def filters(self):
        return {"tree_digest": tree_digest}
