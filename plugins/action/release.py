# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release module's action: with src, the code on the controller is packed
into one archive and sent with the task (one transfer, one module run), where
ansible.builtin.copy of a directory calls the host twice for every file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tarfile
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.flaskstack.deploy.plugins.plugin_utils.code_tree import code_entries


def pack(directory, archive):
    """Write what directory holds for a release (plugin_utils/code_tree.py) into
    the tar archive at path archive, without the controller's owners. Returns
    how many files and links it holds."""
    count = 0
    with tarfile.open(archive, "w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
        for path, _kind in code_entries(directory):
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, directory))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if info.isfile():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
            count += 0 if info.isdir() else 1
    return count


class ActionModule(ActionBase):

    # Only state=staged with src sends a file, and makes its own temporary
    # directory for it: the look and the switch stay one host call each,
    # instead of three (a temporary directory made and removed around them).
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # not used: the connection's own temporary directory holds the archive
        args = dict(self._task.args)
        src = args.pop("src", None)
        if src is None:
            return self._release(result, args, task_vars)
        if args.get("state") != "staged":
            raise AnsibleActionFail("src is only read with state=staged")
        if args.get("archive"):
            raise AnsibleActionFail("give src or archive, not both")
        directory = src if os.path.isabs(src) else self._find_needle("files", src)
        if not os.path.isdir(directory):
            raise AnsibleActionFail("src %s must be a directory on the controller" % src)

        if self._task.check_mode:
            # Nothing is sent: the diff says what would be.
            self._release(result, args, task_vars)
            if isinstance(result.get("diff"), dict):
                result["diff"]["after"] += "code: %s (%d files)\n" % (
                    directory, sum(1 for _path, kind in code_entries(directory) if kind != "dir"))
            return result
        handle, local = tempfile.mkstemp(prefix="flaskstack-release-", suffix=".tar.gz")
        os.close(handle)
        try:
            pack(directory, local)
            remote_tmp = self._make_tmp_path()
            remote = self._connection._shell.join_path(remote_tmp, "release.tar.gz")
            self._transfer_file(local, remote)
            self._fixup_perms2((remote_tmp, remote))
            args["archive"] = remote
            self._release(result, args, task_vars)
        finally:
            os.unlink(local)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _release(self, result, args, task_vars):
        """The release module's result, added to result."""
        result.update(self._execute_module(module_name="flaskstack.deploy.release",
                                           module_args=args, task_vars=task_vars))
        return result
