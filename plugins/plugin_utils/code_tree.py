# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a directory of an app's code on the controller holds, as a release
sees it: the tree_digest filter names the release after its files, and the
release action packs them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os

# Byte code is made where the code runs; it is never part of a release.
EXCLUDED = ("*.pyc",)


def code_entries(directory):
    """(path, kind) of directory's directories ("dir"), regular files ("file")
    and symbolic links ("link", not followed), hidden ones too, sorted as the
    walk goes; *.pyc files, sockets and fifos are left out."""
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs.sort()
        for name in dirs + sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path):
                yield path, "link"
            elif name in dirs:
                yield path, "dir"
            elif os.path.isfile(path) and not any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDED):
                yield path, "file"
