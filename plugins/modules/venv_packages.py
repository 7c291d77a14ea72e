#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: venv_packages
short_description: A virtualenv holds the packages it must, and pip runs only when something may be missing
version_added: "0.3.0"
description:
  - Creates the virtualenv at O(path) if it is missing, then makes sure it
    holds O(packages) or the requirements of O(requirements).
  - pip itself decides what is missing, with C(pip install --dry-run); only
    then does it install, so check mode says what a run would install.
  - Once pip has found nothing missing, the module remembers it, in a stamp
    in the virtualenv (C(.flaskstack-packages.json)) keyed on what was asked
    (the package list, or the content of the requirements files), the
    virtualenv's Python (C(pyvenv.cfg)) and the name of every distribution
    installed in it (name and version). While all of them stay the same, the
    next run does not start pip at all; a package installed, removed, up- or
    downgraded by anyone changes the key, and pip looks again.
  - The stamp is a cache, not a setting; writing it does not count as a
    change, and check mode never writes it.
  - Supports check mode.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  path:
    description: The virtualenv's directory.
    type: path
    required: true
  packages:
    description:
      - Requirement specifiers to install (for example C(gunicorn>=22)).
      - Exactly one of O(packages) and O(requirements).
    type: list
    elements: str
  requirements:
    description:
      - A requirements file to install from.
      - Exactly one of O(packages) and O(requirements). The stamp is keyed on
        the content of the file and of the files it includes with C(-r) or
        C(-c), not on their paths.
    type: path
  stamp:
    description:
      - Name of this list in the stamp, so that several lists (the base
        packages and the app's requirements) keep their own entries.
    type: str
    required: true
  python:
    description: The interpreter that creates a missing virtualenv (C(<python> -m venv)).
    type: str
    default: python3
  create:
    description: Whether a missing virtualenv is created; if not, a missing one is an error.
    type: bool
    default: true
notes:
  - pip's environment variables (index, certificates) are the task's
    C(environment). pip's output is returned as it is; it may quote the lines
    of a requirements file it could not read, so a task that installs a file
    of secrets uses C(no_log).
  - A pip too old for C(--dry-run) (before 22.2, as in Debian 11's
    virtualenvs) installs without asking first; in check mode it is
    reported as a change, since the packages asked for then include a newer
    pip.
"""

EXAMPLES = r"""
- name: Virtualenv exists with pip and gunicorn
  flaskstack.deploy.venv_packages:
    path: /srv/flaskstack/demo/venv
    packages: ["pip>=23.1", "gunicorn>=22,<24"]
    stamp: base

- name: The release's requirements are installed
  flaskstack.deploy.venv_packages:
    path: /srv/flaskstack/demo/venv
    requirements: /srv/flaskstack/demo/releases/3f2a9c1b7d0e/requirements.txt
    stamp: requirements
    create: false
  no_log: true
"""

RETURN = r"""
created:
  description: Whether the virtualenv was created (or would be, in check mode).
  returned: always
  type: bool
installed:
  description: The distributions pip installed (or would install), as name==version.
  returned: always
  type: list
  elements: str
  sample: [gunicorn==23.0.0, packaging==24.2]
pip_ran:
  description: Whether pip was started; false when the stamp showed nothing could be missing.
  returned: always
  type: bool
rc:
  description: pip's exit status, on failure.
  returned: failure
  type: int
stdout:
  description: What pip printed, on failure.
  returned: failure
  type: str
stderr:
  description: What pip printed on its error stream, on failure.
  returned: failure
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.module_utils.venv import (
    fill, requirements_digests, write_stamp)


def asked_for(params):
    """What was asked, as the stamp sees it: the package list, or the
    content of the requirements file and of those it includes."""
    if params["packages"] is not None:
        return {"packages": params["packages"]}
    return {"requirements": requirements_digests(params["requirements"])}


def pip_arguments(params):
    if params["packages"] is not None:
        return list(params["packages"])
    return ["--requirement", params["requirements"]]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            packages=dict(type="list", elements="str"),
            requirements=dict(type="path"),
            stamp=dict(type="str", required=True),
            python=dict(type="str", default="python3"),
            create=dict(type="bool", default=True),
        ),
        required_one_of=[("packages", "requirements")],
        mutually_exclusive=[("packages", "requirements")],
        supports_check_mode=True,
    )
    params = module.params
    venv = params["path"]
    result = dict(changed=False, created=False, installed=[], pip_ran=False)

    if not os.path.exists(os.path.join(venv, "bin", "python")):
        if not params["create"]:
            module.fail_json(msg="%s is not a virtualenv (it has no bin/python)" % venv, **result)
        result.update(changed=True, created=True)
        if module.check_mode:
            module.exit_json(msg="the virtualenv would be created and the packages installed", **result)
        rc, out, err = module.run_command([params["python"], "-m", "venv", venv])
        if rc != 0:
            module.fail_json(msg="%s -m venv %s failed" % (params["python"], venv), rc=rc, stdout=out, stderr=err,
                             **result)

    try:
        asked = asked_for(params)
    except (IOError, OSError) as error:
        module.fail_json(msg="the requirements file cannot be read: %s" % error, **result)
    key = fill(module, venv, params["stamp"], asked, pip_arguments(params), result)
    if key is not None and not module.check_mode:
        write_stamp(venv, params["stamp"], key)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
