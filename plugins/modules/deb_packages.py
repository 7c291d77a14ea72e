#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deb_packages
short_description: Debian packages installed, waiting for apt's lock, planned in check mode on a bare server
version_added: "0.4.0"
description:
  - Installs the Debian O(names) that dpkg does not list as installed, with C(apt-get).
  - A run that finds them all installed starts one C(dpkg-query) and nothing else.
  - Waits up to O(lock_timeout) seconds for apt's and dpkg's locks, which a
    fresh cloud server's cloud-init or unattended-upgrades may hold for
    minutes, instead of failing after C(ansible.builtin.apt)'s 60 s.
  - Needs no Python binding of apt on the host, so check mode works on a bare
    server too, where C(ansible.builtin.apt) cannot plan without
    C(python3-apt) - check mode reports what would be installed.
  - Updates apt's package lists first when they are older than
    O(cache_valid_time).
  - Supports check mode and diff mode.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  names:
    description: Debian package names. Nothing is done for an empty list.
    type: list
    elements: str
    required: true
  cache_valid_time:
    description:
      - Seconds for which apt's package lists count as fresh. Older lists
        (or none) are updated with C(apt-get update) before an install; no
        install, no update.
    type: int
    default: 3600
  lock_timeout:
    description: Seconds to wait, in all, for apt's and dpkg's locks while another process holds them.
    type: int
    default: 300
notes:
  - Installs with the distribution's defaults (recommended packages
    included) and keeps config files changed on the host
    (C(--force-confold)).
"""

EXAMPLES = r"""
- name: Nginx is installed
  flaskstack.deploy.deb_packages:
    names: [nginx, openssl]
    lock_timeout: 300
"""

RETURN = r"""
installed:
  description: The O(names) that were not installed, and are now (in check mode, would be).
  returned: always
  type: list
  elements: str
  sample: [nginx]
msg:
  description: What was done, or in check mode would be.
  returned: always
  type: str
  sample: would install nginx, openssl
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.module_utils.deb import (
    LOCK_HELD,
    apt_get,
    last_lines,
    lists_age,
    missing_packages,
)


def failure(what, names, out, err, lock_timeout):
    """The message of a failed apt-get run: what failed, for which packages, and apt's last words."""
    said = err or out
    held = any(text in said for text in LOCK_HELD)
    return "%s failed, so %s could not be installed%s: %s" % (
        what, ", ".join(names),
        " (another process held apt's lock for more than lock_timeout, %d s)" % lock_timeout if held else "",
        last_lines(said))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            cache_valid_time=dict(type="int", default=3600),
            lock_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["lock_timeout"] < 0:
        module.fail_json(msg="lock_timeout must be 0 or more seconds; got %d" % params["lock_timeout"])
    deadline = time.time() + params["lock_timeout"]
    names = list(dict.fromkeys(params["names"]))
    missing = missing_packages(module, names)
    if not missing:
        module.exit_json(changed=False, installed=[], msg="all installed")
    result = dict(changed=True, installed=missing)
    if module._diff:
        result["diff"] = dict(before_header="Debian packages", after_header="Debian packages",
                              before="".join("%s: absent\n" % name for name in sorted(missing)),
                              after="".join("%s: installed\n" % name for name in sorted(missing)))
    if module.check_mode:
        module.exit_json(msg="would install %s" % ", ".join(sorted(missing)), **result)

    age = lists_age()
    if age is None or age > params["cache_valid_time"]:
        rc, out, err = apt_get(module, ["update"], deadline)
        if rc != 0:
            module.fail_json(msg=failure("apt-get update", missing, out, err, params["lock_timeout"]), rc=rc)
    rc, out, err = apt_get(module, ["install", "--yes", "-o", "Dpkg::Options::=--force-confdef",
                                    "-o", "Dpkg::Options::=--force-confold"] + missing, deadline)
    if rc != 0:
        module.fail_json(msg=failure("apt-get install", missing, out, err, params["lock_timeout"]), rc=rc)
    still = missing_packages(module, missing)
    if still:
        module.fail_json(msg="apt-get install ended well, yet dpkg does not list %s as installed" % ", ".join(still))
    module.exit_json(msg="installed %s" % ", ".join(sorted(missing)), **result)


if __name__ == "__main__":
    main()
