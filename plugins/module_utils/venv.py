# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the virtualenv modules share: the stamp that lets a warm run skip
pip, what a requirements file asks (its content and its includes'), and pip
asked first whether anything is missing, then run only if so."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import json
import os

STAMP = ".flaskstack-packages.json"
INCLUDES = ("-r", "--requirement", "-c", "--constraint")


def distributions(venv):
    """Sorted names of the distributions installed in the venv (their metadata directories)."""
    found = []
    for site in glob.glob(os.path.join(venv, "lib", "python*", "site-packages")):
        found.extend(name for name in os.listdir(site) if name.endswith((".dist-info", ".egg-info", ".egg-link")))
    return sorted(found)


def state_key(venv, asked):
    """What the stamp is keyed on: what was asked, the venv's Python and its distributions."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), "rb") as handle:
            python = hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        python = ""
    text = json.dumps([asked, python, distributions(venv)], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_stamp(venv):
    try:
        with open(os.path.join(venv, STAMP)) as handle:
            stamp = json.load(handle)
    except (IOError, OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def write_stamp(venv, name, key):
    """Records key under name, atomically; other names keep theirs."""
    stamp = read_stamp(venv)
    stamp[name] = key
    path = os.path.join(venv, STAMP)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w") as handle:
        json.dump(stamp, handle, sort_keys=True)
    os.chmod(temporary, 0o644)
    os.rename(temporary, path)


def file_digests(path, seen=None):
    """[(path, sha256)] of a requirements file and of the files it includes
    (-r, -c), in the order pip reads them; fails for a file that cannot be read."""
    seen = [] if seen is None else seen
    if path in [name for name, _digest in seen]:
        return seen
    with open(path, "rb") as handle:
        content = handle.read()
    seen.append((path, hashlib.sha256(content).hexdigest()))
    for line in content.decode("utf-8", "replace").splitlines():
        line = line.split(" #", 1)[0].strip()
        for option in INCLUDES:
            if line.startswith(option + "=") or line.startswith(option + " ") or (
                    len(option) == 2 and line.startswith(option) and len(line) > 2):
                name = line[len(option):].lstrip("= ").strip()
                if name and "://" not in name:
                    file_digests(os.path.join(os.path.dirname(path), name), seen)
                break
    return seen


def requirements_digests(path):
    """The content of a requirements file and of those it includes, by
    their paths relative to the file's directory (not absolute: a release is
    built in one directory and then renamed)."""
    top = os.path.dirname(path)
    return [(os.path.relpath(name, top), digest) for name, digest in file_digests(path)]


def fill(module, venv, stamp, asked, arguments, result, fresh=None):
    """Makes sure the venv holds what pip's arguments ask for: nothing when
    the venv's stamp, under the name stamp, shows asked was found complete, else pip's dry run says
    what is missing and only then does pip install (never in check mode). A
    fresh venv (made in this run, not in check mode) lacks everything: pip
    installs at once, without a dry run that would resolve every requirement
    a second time (about 2.3 s of the demo's 6 s). fresh is then the command
    that runs pip for it: the venv's own, or, for a venv made without pip,
    the interpreter's own wheel's pip, which installs pip too.
    Updates result (changed, installed, pip_ran); fails the module with pip's
    words. Returns the key to stamp once the venv is complete, or None in
    check mode when something is missing."""
    pip = os.path.join(venv, "bin", "pip")
    key = state_key(venv, asked)
    if read_stamp(venv).get(stamp) == key:
        return key
    result["pip_ran"] = True
    if not fresh:
        rc, out, err = module.run_command([pip, "install", "--dry-run", "--quiet", "--report", "-"] + arguments)
        if rc == 0:
            try:
                plan = json.loads(out)["install"]
                result["installed"] = ["%s==%s" % (item["metadata"]["name"], item["metadata"]["version"])
                                       for item in plan]
            except (ValueError, KeyError, TypeError):
                module.fail_json(msg="pip's report of what it would install cannot be read", rc=rc, stdout=out,
                                 stderr=err, **result)
            if not result["installed"]:
                return key
        elif "--dry-run" not in err and "--report" not in err:
            # pip ran and refused: a requirement it cannot read or find.
            module.fail_json(msg="pip install --dry-run failed", rc=rc, stdout=out, stderr=err, **result)

    # Something is missing (a fresh venv lacks everything), or this pip is too old to say what.
    result["changed"] = True
    if module.check_mode:
        return None
    before = set(distributions(venv))
    rc, out, err = module.run_command((fresh or [pip]) + ["install"] + arguments)
    if rc != 0:
        module.fail_json(msg="pip install failed", rc=rc, stdout=out, stderr=err, **result)
    after = distributions(venv)
    if not result["installed"]:
        result["installed"] = sorted(name.rsplit(".", 1)[0].replace("-", "==", 1)
                                     for name in set(after) - before)
        result["changed"] = result["created"] or set(after) != before
    return state_key(venv, asked)
