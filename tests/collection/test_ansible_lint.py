"""ansible-lint's production profile, with nothing skipped or downgraded."""

import os
import re
import subprocess

import yaml

from conftest import ROOT


def test_ansible_lint_production_profile_is_clean():
    with open(os.path.join(ROOT, ".ansible-lint")) as handle:
        config = yaml.safe_load(handle)
    assert config["profile"] == "production"
    for hiding in ("skip_list", "warn_list", "enable_list_skip"):
        assert not config.get(hiding), "%s hides rules" % hiding
    env = dict(os.environ, NO_COLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-lint", "--nocolor"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:]
    summary = re.search(r"(\d+) failure\(s\), (\d+) warning\(s\)", proc.stdout)
    assert summary, proc.stdout[-3000:]
    assert summary.groups() == ("0", "0"), proc.stdout[-6000:]
    assert "Profile 'production' was required, and it passed" in proc.stdout
