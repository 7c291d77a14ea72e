#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_venv
short_description: A release gets a virtualenv of its own, shared with the releases that ask the same packages
version_added: "0.5.0"
description:
  - Gives a release (a directory of code) the virtualenv it runs with, as a
    symbolic link C(.flaskstack-venv) in the release pointing into
    O(venvs_dir); the M(flaskstack.deploy.release) module switches the app's
    live virtualenv link along with its code, so that a rollback brings back
    the exact packages of the release it returns to.
  - The virtualenv is named after what it holds, a key made of O(packages),
    the content of the release's O(requirements) file (and of the files it
    includes), and the interpreter O(python) resolves to. A release that asks
    the same as one before it reuses that one's virtualenv at once; only new
    requirements, base packages or Python build a new one, with
    C(python -m venv) and one C(pip install) of the packages and the
    requirements together.
  - When O(packages) names pip and the interpreter came with pip's wheel
    (CPython's C(ensurepip), or Debian's C(/usr/share/python-wheels) for
    the distribution's Python), the virtualenv is made without pip, and that
    wheel's pip installs everything, itself included, in the one run.
    C(ensurepip) would first install a pip that the run then replaces
    (about 2 s).
  - A virtualenv is complete once its stamp (C(.flaskstack-packages.json),
    written last) names the release's packages; an unfinished one, left by a
    run that stopped, is removed and built again. A complete one whose
    distributions someone changed by hand gets what is missing again, as
    M(flaskstack.deploy.venv_packages) does.
  - Supports check mode and diff mode.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  release:
    description: The release's directory (or its build), which gets the C(.flaskstack-venv) link.
    type: path
    required: true
  venvs_dir:
    description: Directory of the app's virtualenvs, one per key; made (root's, O(group), C(0750)) if missing.
    type: path
    required: true
  packages:
    description: Requirement specifiers every virtualenv of the app holds (pip, gunicorn, the worker class's).
    type: list
    elements: str
    default: []
  requirements:
    description:
      - The release's requirements file, relative to O(release); a release without it gets O(packages) only.
    type: str
  python:
    description: The interpreter that creates the virtualenv (C(<python> -m venv)).
    type: str
    default: python3
  pip_conf:
    description:
      - A pip.conf on the host, copied into a new virtualenv before its pip
        runs (pip reads C(<venv>/pip.conf)); the copy keeps the file's owner
        and mode, as it may hold an index token.
    type: path
  owner:
    description: Owner of a new virtualenv's files.
    type: str
    default: root
  group:
    description: Group of a new virtualenv's files, and of O(venvs_dir).
    type: str
    default: root
notes:
  - pip's environment variables (index, certificates) are the task's
    C(environment). pip's output is returned as it is; it may quote the lines
    of a requirements file it could not read, so a task that installs a file
    of secrets uses C(no_log).
  - Virtualenvs no release links to are removed by
    M(flaskstack.deploy.release) when it prunes releases.
"""

EXAMPLES = r"""
- name: The release gets its virtualenv
  flaskstack.deploy.release_venv:
    release: /srv/flaskstack/demo/releases/.build-3f2a9c1b7d0e
    venvs_dir: /srv/flaskstack/demo/venvs
    packages: ["pip>=22.2", "gunicorn>=23,<28"]
    requirements: requirements.txt
    pip_conf: /srv/flaskstack/demo/pip.conf
    owner: demo
    group: demo
  no_log: true
"""

RETURN = r"""
venv:
  description: The release's virtualenv, in O(venvs_dir); empty in check mode when the release is not built.
  returned: always
  type: str
  sample: /srv/flaskstack/demo/venvs/5e0c2a41d6f3b7a9
created:
  description: Whether the virtualenv was built (or would be, in check mode).
  returned: always
  type: bool
linked:
  description: Whether the release's link changed to it (or would).
  returned: always
  type: bool
installed:
  description: The distributions pip installed (or would install), as name==version.
  returned: always
  type: list
  elements: str
pip_ran:
  description: Whether pip was started.
  returned: always
  type: bool
"""

import glob
import grp
import hashlib
import json
import os
import pwd
import re
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.module_utils.file_content import replace_link
from ansible_collections.flaskstack.deploy.plugins.module_utils.venv import (
    STAMP, fill, read_stamp, requirements_digests, write_stamp)

LINK = ".flaskstack-venv"
# The stamp's entry that says the virtualenv is complete.
STAMP_NAME = "release"


def venv_key(packages, requirements, python):
    """The virtualenv's name: what it holds and the interpreter it was made with."""
    text = json.dumps([packages, requirements, python], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def own(top, uid, gid):
    """Every file and directory of the tree, not following links."""
    os.lchown(top, uid, gid)
    for root, directories, files in os.walk(top):
        for name in directories + files:
            os.lchown(os.path.join(root, name), uid, gid)


def seal(venv, key, ids, pip_conf):
    """The virtualenv belongs to the owner, but its pip.conf keeps the
    source's owner (it may hold an index token); last, the stamp says it is
    complete."""
    own(venv, *ids)
    if pip_conf:
        source = os.stat(pip_conf)
        os.chown(os.path.join(venv, "pip.conf"), source.st_uid, source.st_gid)
    write_stamp(venv, STAMP_NAME, key)
    os.chown(os.path.join(venv, STAMP), *ids)


# The interpreter's own pip wheel: CPython's ensurepip holds it; Debian's and
# Ubuntu's Python (its ensurepip in /usr/lib) takes it from python3-pip-whl,
# which python3-venv depends on. Another interpreter does not get Debian's,
# which may be too old for it.
ENSUREPIP_DIR = "import ensurepip, os; print(os.path.dirname(ensurepip.__file__))"
DISTRIBUTION_WHEELS = "/usr/share/python-wheels/pip-*.whl"
# A requirement on pip itself: "pip", "pip>=22.2", "pip ==24.0"...
PIP_REQUIREMENT = re.compile(r"^pip\s*(?:[<>=!~;@\[]|$)", re.IGNORECASE)


def bundled_pip(module, python):
    """The pip wheel the interpreter came with, or None."""
    rc, out, _err = module.run_command([python, "-c", ENSUREPIP_DIR])
    ensurepip_dir = out.strip() if rc == 0 else ""
    if not ensurepip_dir:
        return None
    found = sorted(glob.glob(os.path.join(ensurepip_dir, "_bundled", "pip-*.whl")))
    if not found and ensurepip_dir.startswith("/usr/lib/python3"):
        found = sorted(glob.glob(DISTRIBUTION_WHEELS))
    return found[-1] if found else None


def build(module, venv, params, asked, arguments, result, ids):
    """A new virtualenv at venv (its final path: pip writes it into the scripts it makes)."""
    wheel = (bundled_pip(module, params["python"])
             if any(PIP_REQUIREMENT.match(package) for package in params["packages"]) else None)
    rc, out, err = module.run_command([params["python"], "-m", "venv"] + (["--without-pip"] if wheel else []) + [venv])
    if rc != 0:
        shutil.rmtree(venv, ignore_errors=True)
        module.fail_json(msg="%s -m venv %s failed" % (params["python"], venv), rc=rc, stdout=out, stderr=err,
                         **result)
    if params["pip_conf"]:
        # Before pip runs: it reads <venv>/pip.conf.
        shutil.copy2(params["pip_conf"], os.path.join(venv, "pip.conf"))
    pip = [os.path.join(venv, "bin", "pip")]
    if wheel:
        # The wheel's pip under python3, as the pip ensurepip installs runs:
        # pip writes the interpreter it runs under into the scripts' first
        # line (gunicorn's, the command line the service shows), which stays
        # what it was.
        python = os.path.join(venv, "bin", "python3")
        if not os.path.exists(python):
            python = os.path.join(venv, "bin", "python")
        pip = [python, os.path.join(wheel, "pip")]
    key = fill(module, venv, STAMP_NAME, asked, arguments, result, fresh=pip)
    seal(venv, key, ids, params["pip_conf"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            release=dict(type="path", required=True),
            venvs_dir=dict(type="path", required=True),
            packages=dict(type="list", elements="str", default=[]),
            requirements=dict(type="str"),
            python=dict(type="str", default="python3"),
            pip_conf=dict(type="path"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    release, venvs_dir = params["release"], os.path.normpath(params["venvs_dir"])
    result = dict(changed=False, created=False, linked=False, installed=[], pip_ran=False, venv="")
    requirements = params["requirements"]
    if requirements is not None and (os.path.isabs(requirements) or ".." in requirements.split("/")):
        module.fail_json(msg="requirements: %r must be a path inside the release, relative to it" % requirements)
    if not os.path.isdir(release):
        if module.check_mode:
            result.update(changed=True, created=True, linked=True)
            module.exit_json(msg="the release is not built: its virtualenv cannot be named yet", **result)
        module.fail_json(msg="release %s does not exist" % release, **result)
    try:
        ids = (pwd.getpwnam(params["owner"]).pw_uid, grp.getgrnam(params["group"]).gr_gid)
    except KeyError as error:
        module.fail_json(msg="owner or group does not exist on the host: %s" % error, **result)
    python = shutil.which(params["python"])
    if not python:
        module.fail_json(msg="%s is not found on the host" % params["python"], **result)

    arguments = list(params["packages"])
    digests = None
    path = os.path.join(release, requirements) if requirements else None
    if path and os.path.isfile(path):
        try:
            digests = requirements_digests(path)
        except (IOError, OSError) as error:
            module.fail_json(msg="the requirements file cannot be read: %s" % error, **result)
        arguments += ["--requirement", path]
    asked = {"packages": params["packages"], "requirements": digests}
    venv = os.path.join(venvs_dir, venv_key(params["packages"], digests, os.path.realpath(python)))
    result["venv"] = venv

    link = os.path.join(release, LINK)
    if os.path.lexists(link) and not os.path.islink(link):
        module.fail_json(msg="%s exists and is not a symbolic link; it is left as it is" % link, **result)

    diff = dict(before={}, after={})
    if not os.path.isdir(venvs_dir):
        result["changed"] = True
        diff["before"]["venvs"], diff["after"]["venvs"] = "absent", venvs_dir
        if not module.check_mode:
            os.mkdir(venvs_dir, 0o750)
    if os.path.isdir(venvs_dir):
        attributes = dict(path=venvs_dir, owner="root", group=params["group"], mode="0750",
                          secontext=None, attributes=None)
        result["changed"] = module.set_fs_attributes_if_different(attributes, result["changed"], diff)

    complete = STAMP_NAME in read_stamp(venv)
    if not complete:
        result.update(changed=True, created=True)
        diff["before"]["virtualenv"] = "unfinished, removed" if os.path.lexists(venv) else "absent"
        diff["after"]["virtualenv"] = "built: %s" % " ".join(arguments)
        if not module.check_mode:
            if os.path.lexists(venv):
                shutil.rmtree(venv)
            build(module, venv, params, asked, arguments, result, ids)
    else:
        # Complete, but someone may have changed its packages by hand.
        key = fill(module, venv, STAMP_NAME, asked, arguments, result)
        if result["changed"] and not module.check_mode:
            seal(venv, key, ids, params["pip_conf"] if os.path.isfile(os.path.join(venv, "pip.conf")) else None)
        if result["installed"]:
            diff["before"]["virtualenv"], diff["after"]["virtualenv"] = venv, "installed: %s" % " ".join(
                result["installed"])

    was = os.readlink(link) if os.path.islink(link) else ""
    if was != venv:
        result.update(changed=True, linked=True)
        diff["before"]["link"], diff["after"]["link"] = was or "(none)", venv
        if not module.check_mode:
            replace_link(link, venv)
    if module._diff:
        result["diff"] = dict(before="".join("%s: %s\n" % item for item in sorted(diff["before"].items())),
                              after="".join("%s: %s\n" % item for item in sorted(diff["after"].items())),
                              before_header=link, after_header=link)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
