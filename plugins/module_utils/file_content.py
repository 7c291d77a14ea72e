# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A file's whole content, replaced safely: shared by the collection's modules that write files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import tempfile
import time


def replace_link(path, target):
    """path becomes a symbolic link to target: a new link renamed over what
    was there, so there is no moment without one. The new link's name starts
    with a dot (a glob such as nginx's include sites-enabled/* never sees it)
    and is removed if the rename fails; the error is raised."""
    temporary = os.path.join(os.path.dirname(path), ".%s.%d.%s.tmp" % (
        os.path.basename(path), os.getpid(), repr(time.time())))
    os.symlink(target, temporary)
    try:
        os.rename(temporary, path)
    except OSError:
        os.unlink(temporary)
        raise


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
        # unsafe_writes is a file argument; a module without them never writes unsafely.
        module.atomic_move(tmp, path, unsafe_writes=module.params.get("unsafe_writes", False))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return backup_file


def apply_file_attributes(module, path, changed, attributes=None):
    """Owner, group and mode from attributes (a dict with those keys), by default the
    module's file arguments; whether anything changed."""
    if os.path.exists(path) or not module.check_mode:
        file_args = module.load_file_common_arguments(attributes or module.params, path=path)
        return module.set_fs_attributes_if_different(file_args, changed, diff=None)
    return changed


# The directories option (doc fragment flaskstack.deploy.directories).
DIRECTORIES_SPEC = dict(
    type="list",
    elements="dict",
    default=[],
    options=dict(
        path=dict(type="path", required=True),
        owner=dict(type="str"),
        group=dict(type="str"),
        mode=dict(type="raw"),
        if_missing=dict(type="bool", default=False),
    ),
)


def ensure_directories(module, directories):
    """Each directory exists, in order, with its owner, group and mode (only when
    created here, for if_missing). Returns (changed paths, diffs): one diff for
    each directory that changed, in check mode those that would."""
    changed, diffs = [], []
    for entry in directories:
        path = entry["path"]
        if not os.path.isabs(path):
            module.fail_json(msg="directories: %s must be an absolute path" % path)
        diff = dict(before_header=path, after_header=path, before=dict(path=path), after=dict(path=path))
        created = False
        if not os.path.isdir(path):
            if os.path.lexists(path):
                module.fail_json(msg="directories: %s exists and is not a directory" % path)
            diff["before"]["state"], diff["after"]["state"] = "absent", "directory"
            created = True
            if module.check_mode:
                changed.append(path)
                diffs.append(diff)
                continue
            try:
                # Owner, group and mode are given right after; until then only root
                # enters. Missing parents are made as mkdir -p makes them.
                os.makedirs(path, 0o700 if entry["mode"] is not None else 0o777)
            except OSError as error:
                module.fail_json(msg="directories: %s cannot be created: %s" % (path, error.strerror))
        elif entry["if_missing"]:
            continue
        attributes = dict(path=path, owner=entry["owner"], group=entry["group"], mode=entry["mode"],
                          secontext=None, attributes=None)
        if module.set_fs_attributes_if_different(attributes, created, diff):
            changed.append(path)
            diffs.append(diff)
    return changed, diffs


# A line's name and the rest: KEY=value, key: value, key = value.
_NAMED_LINE = re.compile(r"^(\s*[A-Za-z_][A-Za-z0-9_.-]*\s*[=:])(.*)$")


def _masked(line):
    """(the line as shown, the value it hides) for a named line (KEY=********)
    or any other line that is not blank or a comment (masked whole); None else."""
    named = _NAMED_LINE.match(line)
    if named:
        return named.group(1) + "********", named.group(2).strip()
    if line.strip() and not line.lstrip().startswith(("#", ";")):
        return "********", line.strip()
    return None


def hidden_text(text, other=None, mark=""):
    """text for output with every value masked (see _masked). A line that other
    (the other side of a diff) lacks gets mark, so a changed value still shows
    as a change."""
    others = set((other or "").splitlines()) if other is not None else None
    lines = []
    for line in (text or "").splitlines():
        masked = _masked(line)
        if masked is None:
            lines.append(line)
        else:
            lines.append(masked[0] + (mark if others is not None and line not in others else ""))
    return "\n".join(lines) + ("\n" if lines else "")


def hidden_values(text):
    """What hidden_text masks: the values of named lines and the other lines, stripped."""
    return set(masked[1] for masked in map(_masked, (text or "").splitlines()) if masked and masked[1])
