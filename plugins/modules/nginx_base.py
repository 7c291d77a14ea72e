#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nginx_base
short_description: Nginx's host-wide part, looked at and set in one call to the host
version_added: "0.3.0"
description:
  - The part of an nginx host that every site shares, in one call to the host
    and in this order.
  - First, whether O(packages) are installed (one C(dpkg-query)). If any is
    not, the module changes nothing and returns them in RV(missing), so that
    the caller installs them (M(flaskstack.deploy.deb_packages)) and calls it again.
  - Then, with the packages installed, the distribution's default site
    (O(default_site)) is removed, the C(server_tokens) directive of
    O(config) is set (O(server_tokens)), the config checker script
    O(checker) is written, and the O(service) is enabled and started.
  - Each of these is done only when it is not already so. A run that finds
    everything in place starts no other command than C(dpkg-query) and two
    C(systemctl) questions.
  - It takes the place of five tasks (a package lookup, C(file),
    C(lineinfile), a file write and C(systemd_service)), each a call to the
    host, on every run.
  - Supports check mode and diff mode.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  packages:
    description: Debian packages nginx needs. When one is not installed, nothing else is done.
    type: list
    elements: str
    required: true
  config:
    description: The main config file, which must hold an C(http) block.
    type: path
    default: /etc/nginx/nginx.conf
  server_tokens:
    description:
      - Value of the C(server_tokens) directive of O(config)'s C(http) block.
        The version in every answer and error page helps attackers pick
        exploits, so it is off by default.
      - The last line that sets it, commented or not, is replaced (Debian 11
        and 12 ship it commented, Debian 13 active); without one the line is
        added after the line that opens the C(http) block. A second
        directive would be an error.
    type: bool
    default: false
  default_site:
    description:
      - A site to remove, such as the distribution's C(sites-enabled/default),
        which holds port 80 and answers any Host. Nothing is removed when not
        given.
    type: path
  checker:
    description:
      - A script written root-owned, mode C(0755), with this content; the site
        files' checks call it. Nothing is written when not given.
    type: dict
    suboptions:
      path:
        description: Where the script goes.
        type: path
        required: true
      content:
        description: Its whole content.
        type: str
        required: true
  service:
    description: The systemd unit that is enabled and started.
    type: str
    default: nginx
notes:
  - A change of O(config) or O(default_site) needs a reload of nginx, which is
    the caller's (a handler notified by this task); RV(config_changed) says
    whether one of them changed.
"""

EXAMPLES = r"""
- name: Nginx's host-wide part is in place
  flaskstack.deploy.nginx_base:
    packages: [nginx, openssl]
    default_site: /etc/nginx/sites-enabled/default
    checker:
      path: /usr/local/sbin/flaskstack-nginx-test
      content: "{{ lookup('ansible.builtin.file', 'flaskstack-nginx-test', rstrip=false) }}"
  register: nginx_base

- name: Nginx is installed
  flaskstack.deploy.deb_packages:
    names: "{{ nginx_base.missing }}"
  when: nginx_base.missing | length > 0
"""

RETURN = r"""
missing:
  description: The O(packages) that are not installed. When any is, nothing else was looked at.
  returned: always
  type: list
  elements: str
  sample: [nginx]
config_changed:
  description: Whether O(config) or O(default_site) changed (in check mode, would change), so nginx must reload.
  returned: always
  type: bool
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.flaskstack.deploy.plugins.module_utils.deb import missing_packages
from ansible_collections.flaskstack.deploy.plugins.module_utils.file_content import (
    apply_file_attributes,
    read_bytes,
    replace_content,
)

# A server_tokens line, commented or not, as the distributions ship it.
TOKENS = re.compile(br"^\s*#?\s*server_tokens\s")
HTTP_OPENS = re.compile(br"^\s*http\s*\{")
TOKENS_NOTE = b" # flaskstack.deploy: the version helps attackers pick exploits"


def tokens_content(module, config, value):
    """(old bytes, new bytes) of config with its server_tokens line set to value."""
    before = read_bytes(config)
    if before is None:
        module.fail_json(msg="config: %s does not exist" % config)
    line = b"\tserver_tokens " + (b"on" if value else b"off") + b";" + TOKENS_NOTE
    lines = before.splitlines(True)
    found = [index for index, text in enumerate(lines) if TOKENS.match(text)]
    if found:
        at, replace = found[-1], True
    else:
        opens = [index for index, text in enumerate(lines) if HTTP_OPENS.match(text)]
        if not opens:
            module.fail_json(msg="config: %s has no http block to set server_tokens in" % config)
        at, replace = opens[-1] + 1, False
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    lines[at:at + (1 if replace else 0)] = [line + b"\n"]
    return before, b"".join(lines)


def content_diff(path, before, after):
    """A diff entry of a file's old bytes (None: no file) and new bytes."""
    return dict(before_header=path, after_header=path,
                before="" if before is None else to_native(before, errors="surrogate_or_replace"),
                after=to_native(after, errors="surrogate_or_replace"))


def write_checker(module, checker, diffs):
    """The checker script in place, root-owned and executable; whether it changed."""
    path = checker["path"]
    content = to_bytes(checker["content"], errors="surrogate_or_strict")
    before = read_bytes(path)
    changed = before != content
    if changed:
        if module._diff:
            diffs.append(content_diff(path, before, content))
        if not module.check_mode:
            replace_content(module, path, content, ".%s." % os.path.basename(path))
    return apply_file_attributes(module, path, changed, dict(owner="root", group="root", mode="0755"))


def systemctl(module, *args):
    return module.run_command(["systemctl"] + list(args))


def service_up(module, name, diffs):
    """The unit enabled and active; whether it changed."""
    enabled = systemctl(module, "is-enabled", "--quiet", name)[0] == 0
    active = systemctl(module, "is-active", "--quiet", name)[0] == 0
    if enabled and active:
        return False
    if module._diff:
        diffs.append(dict(before_header="systemd unit %s" % name, after_header="systemd unit %s" % name,
                          before="enabled: %s\nactive: %s\n" % (enabled, active),
                          after="enabled: True\nactive: True\n"))
    if not module.check_mode:
        for args, done in ((("enable", name), enabled), (("start", name), active)):
            if done:
                continue
            rc, out, err = systemctl(module, *args)
            if rc != 0:
                module.fail_json(msg="service: systemctl %s %s failed (journalctl -u %s says why): %s"
                                     % (args[0], name, name, (err or out).strip()), rc=rc)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", required=True),
            config=dict(type="path", default="/etc/nginx/nginx.conf"),
            server_tokens=dict(type="bool", default=False),
            default_site=dict(type="path"),
            checker=dict(type="dict", options=dict(path=dict(type="path", required=True),
                                                   content=dict(type="str", required=True))),
            service=dict(type="str", default="nginx"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, missing=missing_packages(module, params["packages"]), config_changed=False)
    if result["missing"]:
        module.exit_json(**result)
    diffs = []

    site = params["default_site"]
    if site and os.path.lexists(site):
        result["config_changed"] = True
        if module._diff:
            diffs.append(dict(before_header=site, after_header=site, before="(present)\n", after="(absent)\n"))
        if not module.check_mode:
            os.remove(site)

    before, after = tokens_content(module, params["config"], params["server_tokens"])
    if before != after:
        result["config_changed"] = True
        if module._diff:
            diffs.append(content_diff(params["config"], before, after))
        if not module.check_mode:
            # Written like the site files: beside the old one, then renamed over it.
            replace_content(module, params["config"], after, ".%s." % os.path.basename(params["config"]))

    checker_changed = params["checker"] is not None and write_checker(module, params["checker"], diffs)
    service_changed = service_up(module, params["service"], diffs)
    result["changed"] = result["config_changed"] or checker_changed or service_changed
    if diffs and module._diff:
        result["diff"] = diffs[0] if len(diffs) == 1 else diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
