#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: config_file
short_description: Write a file's whole content in one round trip, checked before it replaces the old one
version_added: "0.2.0"
description:
  - Makes the file at O(path) hold exactly O(content), with the owner, group
    and mode given, in one call to the host. The content is usually rendered
    on the controller with the C(ansible.builtin.template) lookup.
  - C(ansible.builtin.template) and C(ansible.builtin.copy) call the host twice
    when nothing changes (a C(stat), then the C(file) module for the owner and
    mode); a deploy writes several small files, and each second call costs
    about a third of a second.
  - A new content is written to a temporary file beside the old one, checked
    with O(validate) when given, and renamed over the old file; a content that
    fails the check never replaces a working file.
  - Supports check mode and diff mode.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  path:
    description: Path of the file. Its directory must exist, or be one of O(directories).
    type: path
    required: true
    aliases: [dest]
  content:
    description:
      - The whole content of the file.
      - The result's C(invocation) gives its size, not the content; the diff, in diff mode,
        shows it.
    type: str
    required: true
  validate:
    description:
      - A command run on the new content before it replaces the old file; C(%s)
        stands for the temporary file's path. A non-zero exit fails the task and
        leaves the old file as it was.
      - The command is split as a shell would, but run without a shell.
    type: str
  hide_content:
    description:
      - The content is secret (an environment file, a settings file with keys).
        The diff shows each line's name with its value masked (C(KEY=********))
        and any other line masked whole, for the old content and the new, a
        changed line marked as the old or the new value; the values are masked
        wherever else they would appear in the output.
    type: bool
    default: false
    version_added: "0.2.0"
  previous:
    description:
      - When a new content replaces the file, the old content is kept at this path (root-only,
        mode C(0600)), replacing the one kept before, so a caller can put it back (a service whose
        new unit does not start). The result's C(previous) is true when it was kept.
    type: path
    version_added: "0.3.0"
  links:
    description:
      - Symbolic links to O(path) (for example in C(sites-enabled)), made or fixed
        after the file is written, in the same call; a content that fails
        O(validate) is never linked. A link pointing elsewhere is replaced
        atomically; a file or directory in a link's place is refused and kept.
    type: list
    elements: path
    default: []
    version_added: "0.2.0"
  files:
    description:
      - More files written in the same call to the host, after O(path) and its O(links), each
        the way O(path) is (a temporary file renamed over the old one), with its own owner,
        group and mode; O(validate), O(previous) and O(links) are O(path)'s only. A content
        that fails O(validate) leaves these files unwritten too.
      - A deploy writes several small files in a row (an app's environment file, its config
        files, a command); each call to the host costs about a quarter of a second.
    type: list
    elements: dict
    default: []
    version_added: "0.4.0"
    suboptions:
      path:
        description: Path of the file. Its directory must exist, or be one of O(directories).
        type: path
        required: true
      content:
        description: The whole content of the file; the result's C(invocation) gives its size.
        type: str
        required: true
      owner:
        description: Owner of the file.
        type: str
      group:
        description: Group of the file.
        type: str
      mode:
        description: Mode of the file, as O(mode) is for O(path).
        type: raw
      hide_content:
        description: As O(hide_content), for this file.
        type: bool
        default: false
extends_documentation_fragment:
  - ansible.builtin.files
  - flaskstack.deploy.directories
attributes:
  check_mode:
    description: Reports what would change and writes nothing.
    support: full
  diff_mode:
    description: Shows the old and the new content.
    support: full
"""

EXAMPLES = r"""
- name: App site is configured
  flaskstack.deploy.config_file:
    path: /etc/nginx/sites-available/flaskstack-shop.conf
    content: "{{ lookup('ansible.builtin.template', 'etc/nginx/sites-available/flaskstack-app.conf.j2') }}"
    owner: root
    group: root
    mode: "0644"
    validate: /usr/local/sbin/flaskstack-nginx-test %s flaskstack-shop.conf
    links: [/etc/nginx/sites-enabled/flaskstack-shop.conf]
  notify: nginx config changed
"""

RETURN = r"""
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/nginx/sites-available/flaskstack-shop.conf
previous:
  description: Whether the old content was kept at O(previous) by this run.
  returned: always
  type: bool
directories_changed:
  description: The entries of O(directories) created or changed (in check mode, that would be).
  returned: always
  type: list
  elements: str
changed_files:
  description: The files, O(path) and those of O(files), whose content, owner, group or mode changed
    (in check mode, would); links and directories are not in it.
  returned: always
  type: list
  elements: str
  version_added: "0.4.0"
"""

import os
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.flaskstack.deploy.plugins.module_utils.file_content import (
    DIRECTORIES_SPEC,
    apply_file_attributes,
    ensure_directories,
    hidden_text,
    hidden_values,
    read_bytes,
    replace_link,
    replace_content,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True, aliases=["dest"]),
            content=dict(type="str", required=True),
            validate=dict(type="str"),
            directories=DIRECTORIES_SPEC,
            links=dict(type="list", elements="path", default=[]),
            hide_content=dict(type="bool", default=False),
            previous=dict(type="path"),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str", required=True),
                owner=dict(type="str"),
                group=dict(type="str"),
                mode=dict(type="raw"),
                hide_content=dict(type="bool", default=False),
            )),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    # Before anything can fail: the result's invocation echoes the arguments,
    # and a content may hold a secret (an index URL's password, an
    # Environment= line, the app's settings). It says each content's size
    # there, and the values of a hidden content are masked wherever they would
    # appear; the diff, asked for, shows the file as template's does.
    contents = []
    for entry in [params] + params["files"]:
        contents.append(to_bytes(entry["content"], errors="surrogate_or_strict"))
        entry["content"] = "(%d bytes, not shown)" % len(contents[-1])
        if entry["hide_content"]:
            module.no_log_values.update(hidden_values(to_native(contents[-1], errors="surrogate_or_replace")))
    if params["validate"] and "%s" not in params["validate"]:
        module.fail_json(msg="validate must hold %%s, the new content's path: %s" % params["validate"])
    for link in params["links"]:
        if os.path.lexists(link) and not os.path.islink(link):
            module.fail_json(msg="links: %s exists and is not a symbolic link; it is left as it is" % link)
    directories_changed, diffs = ensure_directories(module, params["directories"])
    for entry in [params] + params["files"]:
        where = "path" if entry is params else "files"
        if os.path.isdir(entry["path"]):
            module.fail_json(msg="%s: %s is a directory" % (where, entry["path"]))
        if not os.path.isdir(os.path.dirname(entry["path"]) or ".") and not module.check_mode:
            module.fail_json(msg="%s: the directory %s does not exist" % (where, os.path.dirname(entry["path"])))

    content = contents[0]
    before = planned_content(module, params, content, diffs)
    result = dict(changed=before != content, path=path, directories_changed=directories_changed, previous=False)

    def check(tmp):
        argv = [part.replace("%s", tmp) for part in shlex.split(params["validate"])]
        rc, out, err = module.run_command(argv)
        if rc != 0:
            module.fail_json(msg="the new content of %s failed its check (%s), the file is unchanged: %s"
                                 % (path, argv[0], (err or out).strip()), rc=rc, stdout=out, stderr=err)

    if result["changed"] and not module.check_mode:
        replace_content(module, path, content, ".%s." % os.path.basename(path),
                        check=check if params["validate"] else None)
        if params["previous"] and before is not None:
            keep_previous(module, params["previous"], before)
            result["previous"] = True
    result["changed"] = apply_file_attributes(module, path, result["changed"])
    result["changed_files"] = [path] if result["changed"] else []
    result["changed"] = result["changed"] or bool(directories_changed)
    for link in params["links"]:
        current = os.readlink(link) if os.path.islink(link) else None
        if current == path:
            continue
        result["changed"] = True
        if module._diff:
            diffs.append(dict(before_header=link, after_header=link, before=dict(path=link, src=current or "(absent)"),
                              after=dict(path=link, src=path)))
        if not module.check_mode:
            point_link(module, link, path)
    for entry, more in zip(params["files"], contents[1:]):
        if write_more(module, entry, more, diffs):
            result["changed_files"].append(entry["path"])
            result["changed"] = True
    if diffs and module._diff:
        result["diff"] = diffs[0] if len(diffs) == 1 else diffs
    module.exit_json(**result)


def planned_content(module, entry, content, diffs):
    """The old content (None when there is no file) of the file entry gives (the
    module's parameters or an item of files), to be replaced by content; its
    diff is added to diffs when it changes."""
    before = read_bytes(entry["path"])
    before_text = "" if before is None else to_native(before, errors="surrogate_or_replace")
    after_text = to_native(content, errors="surrogate_or_replace")
    if entry["hide_content"]:
        module.no_log_values.update(hidden_values(before_text) | hidden_values(after_text))
        before_text, after_text = (hidden_text(before_text, after_text, "  (old value)"),
                                   hidden_text(after_text, before_text, "  (new value)"))
    if before != content and module._diff:
        diffs.append(dict(before_header=entry["path"], after_header=entry["path"], before=before_text, after=after_text))
    return before


def write_more(module, entry, content, diffs):
    """One item of files written as the main file is (no check, link or kept
    copy); whether its content, owner, group or mode changed."""
    path = entry["path"]
    before = planned_content(module, entry, content, diffs)
    changed = before != content
    if changed and not module.check_mode:
        replace_content(module, path, content, ".%s." % os.path.basename(path))
    attributes = dict(path=path, owner=entry["owner"], group=entry["group"], mode=entry["mode"])
    return apply_file_attributes(module, path, changed, attributes)


def keep_previous(module, previous, before):
    """The old content at previous, readable by root only (it may hold what
    the file held: secrets), renamed into place whole."""
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(previous), dir=os.path.dirname(previous) or ".")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(before)
        os.rename(tmp, previous)
    except OSError as error:
        module.fail_json(msg="previous: the old content cannot be kept at %s: %s" % (previous, error.strerror))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def point_link(module, link, target):
    """Make link point to target: a new link renamed over the old one, so there is
    no moment without. The new link's name starts with a dot: a glob such as
    nginx's include sites-enabled/* never sees it."""
    try:
        replace_link(link, target)
    except OSError as error:
        module.fail_json(msg="links: %s cannot point to %s: %s" % (link, target, error.strerror))


if __name__ == "__main__":
    main()
