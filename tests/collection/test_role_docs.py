"""Each role's README carries the variables table of its argument_specs."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))


@pytest.mark.parametrize("role", ROLES)
def test_role_readme_lists_every_variable(role):
    with open(os.path.join(ROOT, "roles", role, "README.md")) as handle:
        readme = handle.read()
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as handle:
        names = [line.split(":")[0] for line in handle if line[:1].isalpha()]
    for name in names:
        assert "| `%s` |" % name in readme, "%s missing from roles/%s/README.md" % (name, role)


def test_role_readmes_match_argument_specs():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "role_docs.py"), "--check"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
