#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release
short_description: Look at, switch to and prune an app's releases in one step
version_added: "0.2.0"
description:
  - Manages a directory of releases, one directory per release, and two
    symbolic links to them; the live one (the code the app runs) and the
    previous one (kept to roll back to).
  - With O(state=present), makes sure the releases directory exists and says
    whether the release is already built and which releases the links point
    to. Nothing else changes.
  - With O(state=live), keeps the release that was live as the previous one,
    switches the live link to the release atomically (a new link renamed over
    the old one, so there is no moment without code), then removes the oldest
    releases beyond O(keep). The live and the previous release are never
    removed, nor are directories whose name starts with a dot (builds in
    progress).
  - Refuses to replace a live or previous path that is not a symbolic link,
    so that a directory someone put there is never lost.
  - Supports check mode and diff mode.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  releases_dir:
    description: Directory holding one directory per release.
    type: path
    required: true
  release:
    description:
      - Name of the release, a directory in O(releases_dir).
      - Letters, digits, C(.), C(_) and C(-); not C(.) or C(..).
    type: str
    required: true
  live:
    description: The symbolic link to the live release.
    type: path
    required: true
  previous:
    description: The symbolic link to the previous release.
    type: path
    required: true
  group:
    description: Group of O(releases_dir), which belongs to root with mode C(0750).
    type: str
    default: root
  keep:
    description:
      - Releases kept with O(state=live), the live and the previous one
        included. At least 2.
    type: int
    default: 5
  files:
    description:
      - Paths inside the release, relative to it, to look for (for example
        its requirements file); the result's RV(found) lists those that exist.
        Looking here saves a C(stat) round trip for each.
    type: list
    elements: str
    default: []
  state:
    description:
      - C(present) only looks, and creates O(releases_dir) if it is missing.
      - C(live) makes O(release) the live release and prunes.
    type: str
    choices: [present, live]
    default: present
notes:
  - The release directory must exist for O(state=live), except in check mode,
    where a release that is not built yet is reported as the one that would go
    live.
"""

EXAMPLES = r"""
- name: Releases directory exists; is this release built?
  flaskstack.deploy.release:
    releases_dir: /srv/flaskstack/demo/releases
    release: 3f2a9c1b7d0e
    live: /srv/flaskstack/demo/current
    previous: /srv/flaskstack/demo/previous
    group: demo
    files: [requirements.txt]
  register: looked

- name: Release goes live; releases beyond five are removed
  flaskstack.deploy.release:
    releases_dir: /srv/flaskstack/demo/releases
    release: 3f2a9c1b7d0e
    live: /srv/flaskstack/demo/current
    previous: /srv/flaskstack/demo/previous
    keep: 5
    state: live
  register: switched
"""

RETURN = r"""
exists:
  description: Whether the release directory existed when the module started.
  returned: always
  type: bool
was_live:
  description: The release the live link pointed to before, as a resolved path; empty when there was no link.
  returned: always
  type: str
  sample: /srv/flaskstack/demo/releases/0a1b2c3d4e5f
was_previous:
  description: The release the previous link pointed to before, as a resolved path; empty when there was no link.
  returned: always
  type: str
found:
  description: The entries of O(files) that exist in the release (a symbolic link counts, even a broken one).
  returned: always
  type: list
  elements: str
  sample: [requirements.txt]
switched:
  description: Whether the live link changed (or would change, in check mode).
  returned: always
  type: bool
pruned:
  description: Release directories removed (or that would be removed, in check mode).
  returned: always
  type: list
  elements: str
"""

import os
import re
import shutil
import time

from ansible.module_utils.basic import AnsibleModule

RELEASE_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def link_target(path):
    """The resolved path a symbolic link points to; '' when path is no link.

    Fails for anything else at that path: it would be replaced."""
    if os.path.islink(path):
        return os.path.realpath(path)
    if os.path.lexists(path):
        raise ValueError("%s exists and is not a symbolic link; it is left as it is" % path)
    return ""


def point(path, target, check_mode):
    """Make path a symbolic link to target, atomically; True when it changed."""
    if os.path.islink(path) and (os.readlink(path) == target or os.path.realpath(path) == os.path.realpath(target)):
        return False
    if check_mode:
        return True
    temporary = os.path.join(os.path.dirname(path), ".%s.%d.%s.tmp" % (
        os.path.basename(path), os.getpid(), repr(time.time())))
    os.symlink(target, temporary)
    try:
        os.rename(temporary, path)
    except OSError:
        os.unlink(temporary)
        raise
    return True


def releases(releases_dir):
    """Release directories, newest first (a build in progress starts with a dot)."""
    found = []
    for name in os.listdir(releases_dir):
        path = os.path.join(releases_dir, name)
        if name.startswith(".") or os.path.islink(path) or not os.path.isdir(path):
            continue
        found.append((os.stat(path).st_mtime, path))
    return [path for _mtime, path in sorted(found, reverse=True)]


def to_prune(listed, kept, keep):
    """Releases beyond keep, oldest first out; the kept ones never."""
    kept = [path for path in dict.fromkeys(kept) if path in listed]
    others = [path for path in listed if path not in kept]
    return others[max(keep - len(kept), 0):]


def describe(live, previous, listed):
    return "live: %s\nprevious: %s\nreleases:\n%s" % (
        live or "(none)", previous or "(none)", "".join("  %s\n" % os.path.basename(path) for path in listed))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            releases_dir=dict(type="path", required=True),
            release=dict(type="str", required=True),
            live=dict(type="path", required=True),
            previous=dict(type="path", required=True),
            group=dict(type="str", default="root"),
            keep=dict(type="int", default=5),
            files=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "live"], default="present"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    releases_dir = os.path.normpath(params["releases_dir"])
    if not RELEASE_NAME.match(params["release"]) or params["release"] in (".", ".."):
        module.fail_json(msg="release %r must be a directory name: letters, digits, '.', '_' and '-'" % params["release"])
    if params["keep"] < 2:
        module.fail_json(msg="keep is %d; it must be 2 or more, to keep a release to roll back to" % params["keep"])
    if os.path.normpath(params["live"]) == os.path.normpath(params["previous"]):
        module.fail_json(msg="live and previous are both %s; they must be two links" % params["live"])
    release = os.path.join(releases_dir, params["release"])
    for name in params["files"]:
        if os.path.isabs(name) or ".." in name.split("/") or not name.strip("/."):
            module.fail_json(msg="files: %r must be a path inside the release, relative to it" % name)
    result = dict(changed=False, exists=os.path.isdir(release), switched=False, pruned=[],
                  found=[name for name in params["files"] if os.path.lexists(os.path.join(release, name))])
    try:
        result["was_live"] = link_target(params["live"])
        result["was_previous"] = link_target(params["previous"])
    except ValueError as error:
        module.fail_json(msg=str(error), **result)

    diff = dict(before={}, after={})
    if not os.path.isdir(releases_dir):
        if os.path.lexists(releases_dir):
            module.fail_json(msg="%s exists and is not a directory" % releases_dir, **result)
        if not os.path.isdir(os.path.dirname(releases_dir)) and not module.check_mode:
            module.fail_json(msg="%s cannot be created: its parent directory does not exist" % releases_dir, **result)
        result["changed"] = True
        diff["before"]["path"], diff["after"]["path"] = releases_dir, releases_dir
        diff["before"]["state"], diff["after"]["state"] = "absent", "directory"
        if not module.check_mode:
            os.mkdir(releases_dir, 0o750)
    if os.path.isdir(releases_dir):
        attributes = dict(path=releases_dir, owner="root", group=params["group"], mode="0750",
                          secontext=None, attributes=None)
        result["changed"] = module.set_fs_attributes_if_different(attributes, result["changed"], diff)

    if params["state"] == "live":
        if not result["exists"] and not module.check_mode:
            module.fail_json(msg="release %s does not exist; it cannot go live" % release, **result)
        # Compared resolved, so that a releases directory reached through a
        # symbolic link is still recognised; links are written as given.
        resolved = os.path.realpath(release)
        listed = releases(os.path.realpath(releases_dir)) if os.path.isdir(releases_dir) else []
        before = describe(result["was_live"], result["was_previous"], listed)
        previous = result["was_previous"]
        if result["was_live"] not in ("", resolved):
            point(params["previous"], result["was_live"], module.check_mode)
            previous = result["was_live"]
        result["switched"] = point(params["live"], release, module.check_mode)
        result["pruned"] = to_prune(listed, [resolved, previous], params["keep"])
        for path in result["pruned"]:
            if not module.check_mode:
                shutil.rmtree(path)
        after = describe(resolved, previous, [path for path in listed if path not in result["pruned"]]
                         + ([] if resolved in listed else [resolved]))
        result["changed"] = result["changed"] or before != after or result["switched"]
        diff["before"]["releases"], diff["after"]["releases"] = before, after

    if module._diff:
        result["diff"] = dict(before=_text(diff["before"]), after=_text(diff["after"]),
                              before_header=releases_dir, after_header=releases_dir)
    module.exit_json(**result)


def _text(values):
    return "".join("%s: %s\n" % (key, values[key]) if key != "releases" else values[key]
                   for key in sorted(values))


if __name__ == "__main__":
    main()
