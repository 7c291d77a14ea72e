# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The venv_packages module run in-process, as Ansible runs it, on a real
virtualenv with a real pip, offline: the packages are wheels made here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import subprocess
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskstack.deploy.plugins.modules import venv_packages as module
from ansible_collections.flaskstack.deploy.plugins.module_utils import venv as venv_utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stand_ins import make_wheel  # noqa: E402 pylint: disable=wrong-import-position


def run(capsys, check_mode=False, **args):
    """Run the module with these arguments; return its JSON result."""
    args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    directory = tmp_path_factory.mktemp("wheels")
    make_wheel(directory, "flaskstack_probe", "1.0")
    make_wheel(directory, "flaskstack_probe", "2.0")
    make_wheel(directory, "flaskstack_other", "1.0")
    return directory


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One real virtualenv with its bundled pip, copied for each test (creating one takes seconds)."""
    path = tmp_path_factory.mktemp("pristine") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path


@pytest.fixture()
def venv(pristine, tmp_path, wheels, monkeypatch):
    """A virtualenv of its own, whose pip installs only the wheels made here."""
    path = tmp_path / "venv"
    subprocess.run(["cp", "-a", str(pristine), str(path)], check=True)
    # The copy's scripts name the pristine interpreter: run pip through the copy's own.
    pip = path / "bin" / "pip"
    pip.write_text("#!%s/bin/python\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n" % path)
    pip.chmod(0o755)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return path


def installed(venv):
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                         stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout
    return {item["name"]: item["version"] for item in json.loads(out)}


def pip_cannot_start(venv):
    """From now on, any pip run fails: a run that succeeds did not start pip."""
    (venv / "bin" / "pip").chmod(0)


def test_missing_package_is_installed_then_pip_is_not_started_again(capsys, venv):
    result = run(capsys, path=str(venv), packages=["flaskstack_probe>=1,<2"], stamp="base")
    assert result["changed"] and result["pip_ran"] and not result["created"]
    assert result["installed"] == ["flaskstack_probe==1.0"]
    assert installed(venv)["flaskstack_probe"] == "1.0"

    pip_cannot_start(venv)
    again = run(capsys, path=str(venv), packages=["flaskstack_probe>=1,<2"], stamp="base")
    assert not again.get("failed"), again
    assert not again["changed"] and not again["pip_ran"] and again["installed"] == []


def test_present_packages_change_nothing_and_are_remembered(capsys, venv):
    listing = sorted(os.listdir(str(venv)))
    result = run(capsys, path=str(venv), packages=["pip"], stamp="base")
    assert result["pip_ran"] and not result["changed"] and result["installed"] == []
    assert sorted(os.listdir(str(venv))) == sorted(listing + [venv_utils.STAMP])
    stamp = venv / venv_utils.STAMP
    assert list(json.loads(stamp.read_text())) == ["base"]
    assert stat.S_IMODE(stamp.stat().st_mode) == 0o644


def test_a_package_removed_by_hand_is_seen_and_installed_again(capsys, venv):
    run(capsys, path=str(venv), packages=["flaskstack_probe"], stamp="base")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "uninstall", "--yes", "--quiet", "flaskstack_probe"],
                   check=True)
    result = run(capsys, path=str(venv), packages=["flaskstack_probe"], stamp="base")
    assert result["pip_ran"] and result["changed"] and result["installed"] == ["flaskstack_probe==2.0"]
    assert installed(venv)["flaskstack_probe"] == "2.0"


def test_another_version_installed_by_hand_is_seen(capsys, venv):
    run(capsys, path=str(venv), packages=["flaskstack_probe<2"], stamp="base")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "flaskstack_probe==2.0"],
                   check=True)
    result = run(capsys, path=str(venv), packages=["flaskstack_probe<2"], stamp="base")
    assert result["pip_ran"] and result["changed"] and result["installed"] == ["flaskstack_probe==1.0"]


def test_check_mode_says_what_would_be_installed_and_changes_nothing(capsys, venv):
    before = installed(venv)
    result = run(capsys, check_mode=True, path=str(venv), packages=["flaskstack_probe==1.0"], stamp="base")
    assert result["changed"] and result["installed"] == ["flaskstack_probe==1.0"]
    assert installed(venv) == before
    assert not (venv / venv_utils.STAMP).exists()
    # Nothing missing: unchanged, and check mode writes no stamp either.
    result = run(capsys, check_mode=True, path=str(venv), packages=["pip"], stamp="base")
    assert result["pip_ran"] and not result["changed"]
    assert not (venv / venv_utils.STAMP).exists()


def test_a_missing_venv_is_created_or_in_check_mode_only_reported(capsys, tmp_path, pristine):
    path = tmp_path / "new"
    result = run(capsys, check_mode=True, path=str(path), packages=["pip"], stamp="base")
    assert result["changed"] and result["created"] and not path.exists()
    result = run(capsys, path=str(path), packages=["pip"], stamp="base", python=sys.executable)
    assert result["changed"] and result["created"], result
    assert (path / "bin" / "python").exists() and (path / venv_utils.STAMP).exists()


def test_a_missing_venv_is_an_error_when_it_must_exist(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "none"), requirements=str(tmp_path / "r.txt"), stamp="r", create=False)
    assert result["failed"] and "is not a virtualenv" in result["msg"]


def test_requirements_are_keyed_on_content_with_included_files_not_paths(capsys, venv, tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    (build / "base.txt").write_text("flaskstack_probe<2\n")
    (build / "requirements.txt").write_text("# the app's\n-r base.txt\n")
    result = run(capsys, path=str(venv), requirements=str(build / "requirements.txt"), stamp="requirements")
    assert result["changed"] and result["installed"] == ["flaskstack_probe==1.0"]

    # The same files in another directory (a build renamed to its release): pip does not start.
    release = tmp_path / "release"
    build.rename(release)
    saved = (venv / "bin" / "pip").read_text()
    pip_cannot_start(venv)
    result = run(capsys, path=str(venv), requirements=str(release / "requirements.txt"), stamp="requirements")
    assert not result.get("failed") and not result["pip_ran"], result

    # An included file changes: pip looks again.
    (venv / "bin" / "pip").write_text(saved)
    (venv / "bin" / "pip").chmod(0o755)
    (release / "base.txt").write_text("flaskstack_probe<2\nflaskstack_other\n")
    result = run(capsys, path=str(venv), requirements=str(release / "requirements.txt"), stamp="requirements")
    assert result["pip_ran"] and result["installed"] == ["flaskstack_other==1.0"]


def test_two_stamps_keep_their_own_entries(capsys, venv, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pip\n")
    run(capsys, path=str(venv), packages=["pip"], stamp="base")
    run(capsys, path=str(venv), requirements=str(requirements), stamp="requirements")
    assert sorted(json.loads((venv / venv_utils.STAMP).read_text())) == ["base", "requirements"]


def test_pip_failure_is_returned_with_pip_s_own_words(capsys, venv):
    result = run(capsys, path=str(venv), packages=["flaskstack_nowhere==9"], stamp="base")
    assert result["failed"] and result["rc"] != 0
    assert "flaskstack_nowhere" in result["stderr"] or "flaskstack_nowhere" in result["stdout"]
    assert not (venv / venv_utils.STAMP).exists()


def test_an_unreadable_requirements_file_fails_naming_it(capsys, venv, tmp_path):
    result = run(capsys, path=str(venv), requirements=str(tmp_path / "missing.txt"), stamp="requirements")
    assert result["failed"] and "missing.txt" in result["msg"]


@pytest.mark.parametrize("line", ["-r other.txt", "-rother.txt", "--requirement other.txt",
                                  "--requirement=other.txt", "-c other.txt", "--constraint=other.txt  # pins"])
def test_included_files_are_read_in_every_spelling(tmp_path, line):
    (tmp_path / "other.txt").write_text("flask\n")
    (tmp_path / "requirements.txt").write_text(line + "\n")
    names = [os.path.basename(path) for path, _digest in venv_utils.file_digests(str(tmp_path / "requirements.txt"))]
    assert names == ["requirements.txt", "other.txt"]


def test_a_file_that_includes_itself_is_read_once(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r requirements.txt\nflask\n")
    assert len(venv_utils.file_digests(str(tmp_path / "requirements.txt"))) == 1
