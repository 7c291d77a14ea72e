#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release
short_description: Look at, stage, switch to and prune an app's releases in one step
version_added: "0.2.0"
description:
  - Manages a directory of releases, one directory per release, and two
    symbolic links to them; the live one (the code the app runs) and the
    previous one (kept to roll back to).
  - With O(state=present), makes sure the releases directory exists and says
    whether the release is already built and which releases the links point
    to. Nothing else changes.
  - With O(state=staged), makes the release's build directory (C(.build-)
    and the release's name, in O(releases_dir)) afresh, empty or holding the
    files of O(archive); an unfinished build of the same release is removed
    first. Files belong to root and O(group), readable by the group, with no
    access for others; a file executable by anyone stays executable. The
    caller renames the build to the release when it is complete, or lets
    O(state=live) with O(complete_build) do it.
  - The action plugin of the same name packs O(src), a directory on the
    controller, into one archive and sends it with the task, so staging the
    code of an app of any size is one transfer and one module run.
  - With O(state=live), keeps the release that was live as the previous one,
    switches the live link to the release atomically (a new link renamed over
    the old one, so there is no moment without code), then removes the oldest
    releases beyond O(keep). The live and the previous release are never
    removed, nor are directories whose name starts with a dot (builds in
    progress).
  - With O(venv), the app's live virtualenv link switches with the live
    release, to the virtualenv the release links to (its C(.flaskstack-venv),
    which M(flaskstack.deploy.release_venv) makes), so a rollback brings back
    the packages too; with O(venvs_dir), virtualenvs in it that no remaining
    release links to are pruned with the releases.
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
      - Required with O(state=staged) and O(state=live); without it, O(state=present) only
        looks at the links.
    type: str
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
      - With O(state=present), used to say whether the release is RV(settled).
    type: int
    default: 5
  files:
    description:
      - Paths inside the release, relative to it, to look for (for example
        its requirements file); the result's RV(found) lists those that exist
        (with O(state=staged), those the build holds once staged).
        Looking here saves a C(stat) round trip for each.
    type: list
    elements: str
    default: []
  state:
    description:
      - C(present) only looks, and creates O(releases_dir) if it is missing.
      - C(staged) makes the release's build directory afresh, from O(archive) or O(src) when given.
      - C(live) makes O(release) the live release and prunes.
    type: str
    choices: [present, staged, live]
    default: present
    version_added: "0.4.0"
  venv:
    description:
      - The symbolic link to the live release's virtualenv. A directory at
        this path that holds the stamp of M(flaskstack.deploy.venv_packages)
        (the one virtualenv every release shared before releases had their
        own) is replaced by the link; any other directory is refused.
    type: path
    version_added: "0.5.0"
  venvs_dir:
    description: Directory of the app's virtualenvs, pruned with O(state=live).
    type: path
    version_added: "0.5.0"
  complete_build:
    description:
      - With O(state=live), when O(release) does not exist and its build
        directory (C(.build-)O(release), which O(state=staged) made) does,
        the build is renamed to the release first, in the same call.
      - Leave it off when something must run in the complete release before
        it goes live (a release phase).
    type: bool
    default: false
    version_added: "0.5.0"
  src:
    description:
      - With O(state=staged), a directory on the controller whose files become the build's
        (an absolute path, or one found in the role's C(files) directory). Its regular files
        and symbolic links are packed, hidden ones too, C(*.pyc) left out, as the
        P(flaskstack.deploy.tree_digest#filter) filter names them.
      - Handled by the action plugin, which sets O(archive).
    type: path
    version_added: "0.4.0"
  archive:
    description:
      - With O(state=staged), a tar archive on the host whose regular files, directories
        and symbolic links are extracted into the build. Entries with an absolute path, a
        C(..) or of another type are refused.
      - Set by the action plugin from O(src); give it yourself for an archive already on the host.
    type: path
    version_added: "0.4.0"
notes:
  - In check mode, O(state=staged) reports the build it would make and sends nothing.
  - The release directory (or, with O(complete_build), its build) must exist for O(state=live), except in check mode,
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

- name: Release is staged from the app's code on the controller
  flaskstack.deploy.release:
    releases_dir: /srv/flaskstack/demo/releases
    release: 3f2a9c1b7d0e
    live: /srv/flaskstack/demo/current
    previous: /srv/flaskstack/demo/previous
    group: demo
    src: /home/me/src/demo/
    state: staged
  register: staged

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
  description:
    - Whether the release directory existed when the module started, or was
      made from its build (RV(completed)).
  returned: always
  type: bool
completed:
  description: Whether O(complete_build) renamed the build to the release (or would, in check mode).
  returned: always
  type: bool
  version_added: "0.5.0"
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
  description:
    - The entries of O(files) that exist in the release (a symbolic link counts, even a broken one).
    - With O(state=staged), those in the build once staged (none in check mode).
  returned: always
  type: list
  elements: str
  sample: [requirements.txt]
settled:
  description:
    - Whether O(release) is already live and no release is beyond O(keep), so that O(state=live)
      would change nothing; a caller can then leave it out (one host call less on a run that
      deploys nothing). With O(venv), also that the live virtualenv is the release's.
  returned: always
  type: bool
  version_added: "0.4.0"
switched:
  description: Whether the live link changed (or would change, in check mode).
  returned: always
  type: bool
pruned:
  description: Release directories removed (or that would be removed, in check mode).
  returned: always
  type: list
  elements: str
venv:
  description: The virtualenv the release links to (C(.flaskstack-venv)); empty when it has none.
  returned: always
  type: str
  version_added: "0.5.0"
was_venv:
  description: The virtualenv the O(venv) link pointed to before, resolved; empty when it was no link.
  returned: always
  type: str
  version_added: "0.5.0"
venv_switched:
  description: Whether the O(venv) link changed (or would).
  returned: with O(state=live)
  type: bool
  version_added: "0.5.0"
pruned_venvs:
  description: Virtualenvs of O(venvs_dir) removed (or that would be), as no release links to them any more.
  returned: with O(state=live)
  type: list
  elements: str
  version_added: "0.5.0"
build:
  description: The build directory of O(state=staged).
  returned: when O(state=staged)
  type: str
  sample: /srv/flaskstack/demo/releases/.build-3f2a9c1b7d0e
staged:
  description: How many files (and links) the build holds (0 in check mode).
  returned: when O(state=staged)
  type: int
"""

import grp
import os
import re
import shutil
import tarfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.module_utils.file_content import replace_link
from ansible_collections.flaskstack.deploy.plugins.module_utils.venv import STAMP

# A release's link to its virtualenv (release_venv).
VENV_LINK = ".flaskstack-venv"

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
    replace_link(path, target)
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


def clear(path):
    """Remove whatever is at path: a directory tree, a file or a link."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def extract(archive, build, gid):
    """The regular files, directories and symbolic links of a tar archive,
    written into build (which exists), owned by root and gid: directories
    0750, files 0640 (0750 when the archive has them executable). Returns how
    many files and links were written. Entries of another type, or whose path
    leaves build, are refused before anything is written; one that would be
    written through a link the archive made, when it is reached (the caller
    removes the build)."""
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            parts = member.name.split("/")
            if os.path.isabs(member.name) or ".." in parts or not member.name.strip("/."):
                raise ValueError("archive entry %r is not a path inside the release" % member.name)
            if not (member.isfile() or member.isdir() or member.issym()):
                raise ValueError("archive entry %r is not a file, a directory or a symbolic link" % member.name)
        written, inside = 0, os.path.realpath(build)
        for member in members:
            path = os.path.join(build, member.name.strip("/"))
            parent = os.path.dirname(path)
            # Never through a link the archive made: it could point anywhere.
            real_parent = os.path.realpath(parent)
            if real_parent != inside and not real_parent.startswith(inside + os.sep):
                raise ValueError("archive entry %r would be written outside the release" % member.name)
            if not os.path.isdir(parent):
                os.makedirs(parent, 0o750)
                _own(parent, build, gid)
            if member.isdir():
                if not os.path.isdir(path):
                    os.mkdir(path, 0o750)
                os.chown(path, 0, gid)
                os.chmod(path, 0o750)
                continue
            clear(path)
            if member.issym():
                os.symlink(member.linkname, path)
                os.lchown(path, 0, gid)
            else:
                mode = 0o750 if member.mode & 0o111 else 0o640
                source = tar.extractfile(member)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    shutil.copyfileobj(source, handle)
                os.chown(path, 0, gid)
                os.chmod(path, mode)
            written += 1
    return written


def _own(directory, top, gid):
    """Directories made on the way from top to directory belong to root and gid, 0750."""
    while os.path.normpath(directory) != os.path.normpath(top):
        os.chown(directory, 0, gid)
        os.chmod(directory, 0o750)
        directory = os.path.dirname(directory)


def stage(module, releases_dir, params, result, diff):
    """state=staged: the release's build directory, afresh, with the archive's files."""
    build = os.path.join(releases_dir, ".build-" + params["release"])
    result["build"], result["staged"], result["changed"] = build, 0, True
    diff["before"]["build"] = "unfinished, removed" if os.path.lexists(build) else "absent"
    if module.check_mode:
        diff["after"]["build"] = "made afresh" + (" from the archive" if params["archive"] else "")
        return
    try:
        gid = grp.getgrnam(params["group"]).gr_gid
    except KeyError:
        module.fail_json(msg="group %s does not exist on the host" % params["group"], **result)
    clear(build)
    os.mkdir(build, 0o750)
    os.chown(build, 0, gid)
    os.chmod(build, 0o750)
    if params["archive"]:
        try:
            result["staged"] = extract(params["archive"], build, gid)
        except (ValueError, tarfile.TarError, OSError) as error:
            clear(build)
            module.fail_json(msg="release %s could not be staged from %s: %s" % (
                params["release"], params["archive"], error), **result)
    result["found"] = [name for name in params["files"] if os.path.lexists(os.path.join(build, name))]
    diff["after"]["build"] = ("made afresh from the archive (%d files)" % result["staged"] if params["archive"]
                              else "made afresh, empty")


def release_venv(release):
    """Where the release's virtualenv link points, or '' when it has none."""
    link = os.path.join(release, VENV_LINK)
    return os.readlink(link) if os.path.islink(link) else ""


def venvs_in_use(releases_dir, gone, live_venv):
    """The virtualenvs that the live link, the releases (but those in gone)
    and the builds in progress point to, resolved."""
    used = {os.path.realpath(live_venv)} if live_venv else set()
    for name in os.listdir(releases_dir) if os.path.isdir(releases_dir) else []:
        path = os.path.join(releases_dir, name)
        target = release_venv(path)
        if target and os.path.realpath(path) not in gone:
            used.add(os.path.realpath(target))
    return used


def venvs_to_prune(venvs_dir, used):
    """The virtualenv directories of venvs_dir not in used (hidden entries and files are not virtualenvs)."""
    if not venvs_dir or not os.path.isdir(venvs_dir):
        return []
    return sorted(os.path.join(venvs_dir, name) for name in os.listdir(venvs_dir)
                  if not name.startswith(".") and os.path.isdir(os.path.join(venvs_dir, name))
                  and not os.path.islink(os.path.join(venvs_dir, name))
                  and os.path.realpath(os.path.join(venvs_dir, name)) not in used)


def shared_venv(link):
    """Whether the path of the live virtualenv link holds the virtualenv every
    release shared before they had their own (a directory with
    venv_packages' stamp), which the link replaces. Fails for anything
    else there that is not a link: it would be replaced."""
    if os.path.islink(link) or not os.path.lexists(link):
        return False
    if os.path.isdir(link) and os.path.isfile(os.path.join(link, STAMP)):
        return True
    raise ValueError("%s is a %s that flaskstack.deploy did not make; it is left as it is" % (
        link, "directory" if os.path.isdir(link) else "file"))


def switch_venv(module, link, target):
    """The live virtualenv link points to target; True when it changed.

    The shared virtualenv of releases without their own (shared_venv) is
    moved aside and removed."""
    if shared_venv(link):
        if module.check_mode:
            return True
        aside = os.path.join(os.path.dirname(link), ".%s.shared.%d" % (os.path.basename(link), os.getpid()))
        os.rename(link, aside)
        point(link, target, False)
        shutil.rmtree(aside)
        return True
    return point(link, target, module.check_mode)


def describe(live, previous, listed, venv="", venvs=()):
    return "live: %s\nprevious: %s\n%sreleases:\n%s%s" % (
        live or "(none)", previous or "(none)", "virtualenv: %s\n" % venv if venv else "",
        "".join("  %s\n" % os.path.basename(path) for path in listed),
        "virtualenvs:\n%s" % "".join("  %s\n" % os.path.basename(path) for path in venvs) if venvs else "")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            releases_dir=dict(type="path", required=True),
            release=dict(type="str"),
            live=dict(type="path", required=True),
            previous=dict(type="path", required=True),
            group=dict(type="str", default="root"),
            keep=dict(type="int", default=5),
            files=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "staged", "live"], default="present"),
            src=dict(type="path"),
            archive=dict(type="path"),
            venv=dict(type="path"),
            venvs_dir=dict(type="path"),
            complete_build=dict(type="bool", default=False),
        ),
        required_if=[("state", "staged", ["release"]), ("state", "live", ["release"])],
        supports_check_mode=True,
    )
    params = module.params
    releases_dir = os.path.normpath(params["releases_dir"])
    if params["release"] is not None and (not RELEASE_NAME.match(params["release"])
                                          or params["release"] in (".", "..")):
        module.fail_json(msg="release %r must be a directory name: letters, digits, '.', '_' and '-'" % params["release"])
    if params["keep"] < 2:
        module.fail_json(msg="keep is %d; it must be 2 or more, to keep a release to roll back to" % params["keep"])
    if os.path.normpath(params["live"]) == os.path.normpath(params["previous"]):
        module.fail_json(msg="live and previous are both %s; they must be two links" % params["live"])
    # Without a release, only the links are looked at.
    release = os.path.join(releases_dir, params["release"]) if params["release"] is not None else None
    for name in params["files"]:
        if os.path.isabs(name) or ".." in name.split("/") or not name.strip("/."):
            module.fail_json(msg="files: %r must be a path inside the release, relative to it" % name)
    # state=live with complete_build: a finished build becomes the release
    # here (one rename), instead of in a host call of its own before this one.
    build = os.path.join(releases_dir, ".build-" + params["release"]) if release else ""
    completes = (params["state"] == "live" and params["complete_build"] and not os.path.lexists(release)
                 and os.path.isdir(build) and not os.path.islink(build))
    if completes and not module.check_mode:
        os.rename(build, release)
    # What the release holds; in a check run, the build that would become it.
    holder = build if completes and module.check_mode else release
    result = dict(changed=completes, completed=completes, switched=False, pruned=[],
                  exists=completes or (bool(release) and os.path.isdir(release)),
                  found=[name for name in params["files"] if release and os.path.lexists(os.path.join(holder, name))])
    try:
        result["was_live"] = link_target(params["live"])
        result["was_previous"] = link_target(params["previous"])
    except ValueError as error:
        module.fail_json(msg=str(error), **result)

    # Compared resolved, so that a releases directory reached through a
    # symbolic link is still recognised; links are written as given.
    resolved = os.path.realpath(release) if release else ""
    listed = releases(os.path.realpath(releases_dir)) if os.path.isdir(releases_dir) else []
    result["venv"] = release_venv(holder) if release else ""
    result["was_venv"] = os.path.realpath(params["venv"]) if params["venv"] and os.path.islink(params["venv"]) else ""
    try:
        if params["venv"]:
            shared_venv(params["venv"])
    except ValueError as error:
        module.fail_json(msg=str(error), **result)
    prunable = to_prune(listed, [resolved, result["was_previous"]], params["keep"])
    result["settled"] = (result["exists"] and result["was_live"] == resolved and not prunable
                         and (not params["venv"] or not result["venv"]
                              or result["was_venv"] == os.path.realpath(result["venv"]))
                         and not venvs_to_prune(params["venvs_dir"], venvs_in_use(releases_dir, [], result["was_venv"])))

    diff = dict(before={}, after={})
    if completes:
        diff["before"]["build"], diff["after"]["build"] = build, "complete, renamed to %s" % release
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

    if params["src"] is not None:
        module.fail_json(msg="src is a directory on the controller: the release action plugin packs it; "
                             "run the module through its action (flaskstack.deploy.release)", **result)
    if params["archive"] and params["state"] != "staged":
        module.fail_json(msg="archive is only read with state=staged", **result)
    if params["state"] == "staged":
        stage(module, releases_dir, params, result, diff)

    if params["state"] == "live":
        if not result["exists"] and not module.check_mode:
            module.fail_json(msg="release %s does not exist; it cannot go live" % release, **result)
        venvs_before = venvs_to_prune(params["venvs_dir"], set())
        before = describe(result["was_live"], result["was_previous"], listed, result["was_venv"], venvs_before)
        previous = result["was_previous"]
        if result["was_live"] not in ("", resolved):
            point(params["previous"], result["was_live"], module.check_mode)
            previous = result["was_live"]
        result["switched"] = point(params["live"], release, module.check_mode)
        # A release built before releases had virtualenvs of their own keeps the live one.
        result["venv_switched"] = bool(params["venv"] and result["venv"]) and switch_venv(
            module, params["venv"], result["venv"])
        result["pruned"] = to_prune(listed, [resolved, previous], params["keep"])
        for path in result["pruned"]:
            if not module.check_mode:
                shutil.rmtree(path)
        result["pruned_venvs"] = []
        if params["venvs_dir"]:
            live_venv = result["venv"] if result["venv_switched"] else result["was_venv"]
            used = venvs_in_use(releases_dir, result["pruned"], live_venv)
            result["pruned_venvs"] = venvs_to_prune(params["venvs_dir"], used)
            for path in result["pruned_venvs"]:
                if not module.check_mode:
                    shutil.rmtree(path)
        after = describe(resolved, previous, [path for path in listed if path not in result["pruned"]]
                         + ([] if resolved in listed else [resolved]),
                         os.path.realpath(result["venv"]) if result["venv_switched"] else result["was_venv"],
                         [path for path in venvs_before if path not in result["pruned_venvs"]])
        result["changed"] = (result["changed"] or before != after or result["switched"] or result["venv_switched"]
                             or bool(result["pruned_venvs"]))
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
