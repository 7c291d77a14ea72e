# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A file's whole content, replaced safely: shared by the collection's modules that write files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def read_bytes(path):
    """The file's bytes, or None when there is no file."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def replace_content(module, path, content, prefix, check=None, backup=False):
    """Write content to a temporary file beside path, let check(temporary path)
    fail the module if the new content is wrong, then rename it over path:
    a content that fails its check never replaces the old file. Returns the
    backup's path when backup is true and there was a file, else None."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=os.path.dirname(path) or ".")
    backup_file = None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if check:
            check(tmp)
        if backup and os.path.exists(path):
            backup_file = module.backup_local(path)
        module.atomic_move(tmp, path, unsafe_writes=module.params["unsafe_writes"])
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return backup_file


def apply_file_attributes(module, path, changed):
    """Owner, group and mode from the module's file arguments; whether anything changed."""
    if os.path.exists(path) or not module.check_mode:
        file_args = module.load_file_common_arguments(module.params, path=path)
        return module.set_fs_attributes_if_different(file_args, changed, diff=None)
    return changed
