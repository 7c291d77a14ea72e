# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the module tests share: running a module in-process, host commands stood in for by
scripts on PATH that answer from a state directory ($STATE) and log every call to $STATE/calls,
and wheels made here for a real pip that installs offline.

A test module imports the fixtures it uses (commands, run_module). Not a conftest.py: the
collection and scenario tests import tests/conftest.py as `conftest`, which a second one
would shadow whenever this directory is collected first."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import os
import zipfile

import pytest

from ansible.module_utils.testing import patch_module_args

# Answers as dpkg-query --show does: a line per installed name ($STATE/installed-<name>; held,
# apt-mark hold: $STATE/held-<name>), exit 1
# for a name it does not know; $STATE/dpkg-broken makes it fail as dpkg does on a locked database.
DPKG_QUERY = """#!/bin/sh
printf '%s\\n' "dpkg-query $*" >> "$STATE/calls"
[ -e "$STATE/dpkg-broken" ] && { echo "dpkg: database locked" >&2; exit 2; }
rc=0
for name in "$@"; do
    case "$name" in -*) continue ;; esac
    if [ -e "$STATE/held-$name" ]; then echo "$name hi "
    elif [ -e "$STATE/installed-$name" ]; then echo "$name ii "
    else echo "no packages found matching $name" >&2; rc=1; fi
done
exit $rc
"""


class Commands(object):
    """A bin directory first on PATH and the state directory its scripts read."""

    def __init__(self, root, monkeypatch):
        self.bin, self.state = root / "bin", root / "state"
        self.bin.mkdir()
        self.state.mkdir()
        monkeypatch.setenv("PATH", "%s:%s" % (self.bin, os.environ["PATH"]))
        monkeypatch.setenv("STATE", str(self.state))
        self.add("dpkg-query", DPKG_QUERY)

    def add(self, name, script):
        (self.bin / name).write_text(script)
        (self.bin / name).chmod(0o755)

    def install(self, *names):
        for name in names:
            (self.state / ("installed-" + name)).touch()

    def installed(self, name):
        return (self.state / ("installed-" + name)).exists()

    def calls(self):
        """The commands run so far, then forgotten."""
        path = self.state / "calls"
        text = path.read_text() if path.exists() else ""
        if path.exists():
            path.unlink()
        return text.splitlines()


@pytest.fixture()
def commands(tmp_path, monkeypatch):
    return Commands(tmp_path, monkeypatch)


@pytest.fixture()
def run_module(capsys):
    """run_module(main, check_mode=False, diff=False, **args): the module's result."""
    def run(main, check_mode=False, diff=False, **module_args):
        module_args["_ansible_check_mode"] = check_mode
        module_args["_ansible_diff"] = diff
        with patch_module_args(module_args):
            with pytest.raises(SystemExit):
                main()
        return json.loads(capsys.readouterr().out)
    return run


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def make_wheel(directory, name, version):
    """A pure-Python wheel of one empty module, as a build backend makes it."""
    dist = "%s-%s.dist-info" % (name, version)
    files = {
        "%s/__init__.py" % name: b"VERSION = %r\n" % version.encode(),
        dist + "/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)).encode(),
        dist + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: flaskstack-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "\n".join([record_line(path, data) for path, data in files.items()] + [dist + "/RECORD,,", ""])
    path = os.path.join(str(directory), "%s-%s-py3-none-any.whl" % (name, version))
    with zipfile.ZipFile(path, "w") as wheel:
        for inner, data in files.items():
            wheel.writestr(inner, data)
        wheel.writestr(dist + "/RECORD", record)
    return path
