# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release_venv module run in-process, as Ansible runs it: it builds real
virtualenvs with python -m venv and a real pip, offline (the packages are
wheels made here). A build takes seconds: the tests that only look at one
share a single build (the module-scoped fixture `built`)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import ensurepip
import glob
import grp
import io
import json
import os
import pwd
import shutil
import stat
import sys

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskstack.deploy.plugins.modules import release_venv as module
from ansible_collections.flaskstack.deploy.plugins.module_utils import venv as venv_utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stand_ins import make_wheel  # noqa: E402 pylint: disable=wrong-import-position

# Tests run as root: an owner and a group that are not this process's own,
# so that files the module did not hand over would show.
OWNER = next((entry.pw_name for entry in sorted(pwd.getpwall(), key=lambda entry: entry.pw_uid)
              if entry.pw_uid != os.getuid()), "root")
GROUP = next((entry.gr_name for entry in sorted(grp.getgrall(), key=lambda entry: entry.gr_gid)
              if entry.gr_gid != os.getgid()), grp.getgrgid(os.getgid()).gr_name)

LINK = ".flaskstack-venv"
REQUIREMENTS = "flaskstack_probe<2\n"
PACKAGES = ["flaskstack_other"]


def run(check_mode=False, diff=False, **args):
    """Run the module with these arguments; return its JSON result."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(out.getvalue())


def record_commands(patcher):
    """The commands the module runs from now on, as argument lists."""
    calls = []
    original = AnsibleModule.run_command

    def recording(self, args, *rest, **kwargs):
        calls.append([str(arg) for arg in args])
        return original(self, args, *rest, **kwargs)

    patcher.setattr(AnsibleModule, "run_command", recording)
    return calls


def venv_builds(calls):
    return [call for call in calls if call[1:3] == ["-m", "venv"]]


def pip_installs(calls):
    """pip runs that install (not pip's dry runs): the venv's pip, or python running a pip wheel."""
    return [call for call in calls if "--dry-run" not in call
            and (call[1:2] == ["install"] or (call[1].endswith(".whl/pip") and call[2:3] == ["install"]))]


def offline(patcher, find_links=None):
    """pip installs only wheels made here: no index, and find-links the given directory (or none)."""
    patcher.setenv("PIP_NO_INDEX", "1")
    patcher.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    if find_links is None:
        patcher.delenv("PIP_FIND_LINKS", raising=False)
    else:
        patcher.setenv("PIP_FIND_LINKS", str(find_links))


def make_release(releases, name, requirements=None):
    path = releases / name
    path.mkdir(parents=True)
    (path / "app.py").write_text("RELEASE = %r\n" % name)
    if requirements is not None:
        (path / "requirements.txt").write_text(requirements)
    return path


def arguments(release, venvs_dir, **extra):
    args = dict(release=str(release), venvs_dir=str(venvs_dir), packages=PACKAGES, requirements="requirements.txt",
                python=sys.executable)
    args.update(extra)
    return args


def complete_venv(release, venvs_dir, packages=None):
    """A virtualenv the module takes as the release's complete one, made by
    hand and in no time: its stamp is the one a build would write, and it
    has no pip, so a run that starts pip fails."""
    packages = PACKAGES if packages is None else packages
    digests = venv_utils.requirements_digests(str(release / "requirements.txt"))
    venv = os.path.join(str(venvs_dir), module.venv_key(packages, digests, os.path.realpath(sys.executable)))
    os.makedirs(os.path.join(venv, "bin"))
    venv_utils.write_stamp(venv, "release", venv_utils.state_key(venv, {"packages": packages, "requirements": digests}))
    return venv


def dists(venv):
    return [name for name in venv_utils.distributions(str(venv)) if name.startswith("flaskstack_")]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    directory = tmp_path_factory.mktemp("wheels")
    make_wheel(directory, "flaskstack_probe", "1.0")
    make_wheel(directory, "flaskstack_probe", "2.0")
    make_wheel(directory, "flaskstack_other", "1.0")
    return directory


@pytest.fixture(autouse=True)
def pip_offline(monkeypatch, wheels):
    offline(monkeypatch, wheels)


@pytest.fixture(scope="module")
def built(tmp_path_factory, wheels):
    """One release's virtualenv, built once for the tests that look at it.

    pip finds the wheels only through the pip_conf file (find-links is not in
    its environment), so the build succeeds only if the file reached the
    virtualenv before pip ran."""
    base = tmp_path_factory.mktemp("built")
    pip_conf = base / "pip.conf"
    pip_conf.write_text("[global]\nfind-links = %s\n" % wheels)
    os.chown(str(pip_conf), 0, grp.getgrnam(GROUP).gr_gid)
    pip_conf.chmod(0o640)
    release = make_release(base / "releases", "r1", REQUIREMENTS)
    venvs_dir = base / "venvs"
    with pytest.MonkeyPatch.context() as patcher:
        offline(patcher)
        calls = record_commands(patcher)
        result = run(diff=True, **arguments(release, venvs_dir, pip_conf=str(pip_conf), owner=OWNER, group=GROUP))
    assert not result.get("failed"), result
    return dict(result=result, calls=calls, release=release, releases=base / "releases", venvs_dir=venvs_dir,
                venv=result["venv"], pip_conf=pip_conf)


def test_a_new_venv_that_asks_for_pip_gets_it_from_the_interpreter_s_own_wheel_in_the_one_run(
        tmp_path, monkeypatch, wheels):
    # The wheel this interpreter came with (its ensurepip's, or Debian's for
    # Debian's Python), also offered offline, as the index would offer pip.
    ensurepip_dir = os.path.dirname(ensurepip.__file__)
    found = sorted(glob.glob(os.path.join(ensurepip_dir, "_bundled", "pip-*.whl")))
    if not found and ensurepip_dir.startswith("/usr/lib/python3"):
        found = sorted(glob.glob("/usr/share/python-wheels/pip-*.whl"))
    assert found, "this interpreter came with no pip wheel: neither Debian's python3-pip-whl nor ensurepip's"
    bundled = found[-1]
    find_links = tmp_path / "links"
    shutil.copytree(str(wheels), str(find_links))
    shutil.copy(bundled, str(find_links))
    offline(monkeypatch, find_links)
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    calls = record_commands(monkeypatch)
    result = run(**arguments(release, tmp_path / "venvs", packages=["pip"] + PACKAGES))
    assert not result.get("failed"), result
    [made] = venv_builds(calls)
    assert "--without-pip" in made
    # One pip run, from the wheel, with no dry run; it installed pip itself too.
    [install] = pip_installs(calls)
    assert install[:2] == [os.path.join(result["venv"], "bin", "python3"), os.path.join(bundled, "pip")]
    # The scripts pip wrote run the venv's python3, as those of a venv made with its pip do.
    with open(os.path.join(result["venv"], "bin", "pip")) as handle:
        assert handle.readline().strip() == "#!" + os.path.join(result["venv"], "bin", "python3")
    assert [call for call in calls if "--dry-run" in call] == []
    assert os.access(os.path.join(result["venv"], "bin", "pip"), os.X_OK)
    assert any(name.startswith("pip-") for name in venv_utils.distributions(result["venv"]))
    assert dists(result["venv"]) == ["flaskstack_other-1.0.dist-info", "flaskstack_probe-1.0.dist-info"]
    assert any(name.startswith("pip==") for name in result["installed"])


def test_a_new_venv_that_does_not_ask_for_pip_is_made_by_venv_with_its_pip(tmp_path):
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    with pytest.MonkeyPatch.context() as patcher:
        calls = record_commands(patcher)
        result = run(**arguments(release, tmp_path / "venvs"))
    assert not result.get("failed"), result
    [made] = venv_builds(calls)
    assert "--without-pip" not in made
    assert [call[1:2] for call in pip_installs(calls)] == [["install"]]


@contextlib.contextmanager
def pip_cannot_start(venv):
    """While inside, any pip run in venv fails: a run that succeeds did not start pip."""
    pip = os.path.join(venv, "bin", "pip")
    mode = stat.S_IMODE(os.stat(pip).st_mode)
    os.chmod(pip, 0)
    try:
        yield
    finally:
        os.chmod(pip, mode)


# A new virtualenv


def test_a_new_release_gets_a_venv_with_its_packages_and_requirements_in_one_build(built):
    result, venv, venvs_dir = built["result"], built["venv"], built["venvs_dir"]
    assert result["changed"] and result["created"] and result["linked"] and result["pip_ran"]
    assert os.path.dirname(venv) == str(venvs_dir)
    assert len(os.path.basename(venv)) == 16
    assert sorted(result["installed"]) == ["flaskstack_other==1.0", "flaskstack_probe==1.0"]
    assert dists(venv) == ["flaskstack_other-1.0.dist-info", "flaskstack_probe-1.0.dist-info"]
    assert os.access(os.path.join(venv, "bin", "python"), os.X_OK)
    # One venv, one pip install of the base packages and the requirements
    # together, and no dry run before it: a new venv lacks everything.
    assert len(venv_builds(built["calls"])) == 1
    assert [call for call in built["calls"] if "--dry-run" in call] == []
    [install] = pip_installs(built["calls"])
    assert "flaskstack_other" in install
    assert install[install.index("--requirement") + 1] == str(built["release"] / "requirements.txt")
    # Complete: the stamp names the release's entry. The release links to it.
    assert "release" in venv_utils.read_stamp(venv)
    assert os.readlink(str(built["release"] / LINK)) == venv
    info = os.stat(str(venvs_dir))
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o750, 0, grp.getgrnam(GROUP).gr_gid)


def test_the_pip_conf_is_copied_into_the_new_venv_before_pip_runs(built):
    # pip found the wheels through it alone (see the fixture): it was there first.
    copied = os.path.join(built["venv"], "pip.conf")
    with open(copied) as handle:
        assert handle.read() == built["pip_conf"].read_text()
    info = os.stat(copied)
    assert stat.S_IMODE(info.st_mode) == 0o640
    # The source's owner, not the virtualenv's: it may hold an index token.
    source = built["pip_conf"].stat()
    assert (info.st_uid, info.st_gid) == (source.st_uid, source.st_gid)


def test_the_new_venv_belongs_to_the_owner_and_group(built):
    ids = (pwd.getpwnam(OWNER).pw_uid, grp.getgrnam(GROUP).gr_gid)
    seen = 0
    for dirpath, dirnames, filenames in os.walk(built["venv"]):
        for path in [dirpath] + [os.path.join(dirpath, name) for name in dirnames + filenames]:
            # pip.conf keeps the owner of the file it is copied from (checked above).
            if os.path.basename(path) == "pip.conf":
                continue
            info = os.lstat(path)
            assert (info.st_uid, info.st_gid) == ids, path
            seen += 1
    # pip's own files and the packages pip installed.
    assert seen > 100
    assert os.lstat(os.path.join(built["venv"], "bin", "python")).st_gid == ids[1]


def test_diff_names_the_link_and_the_new_venv(built):
    diff = built["result"]["diff"]
    link = str(built["release"] / LINK)
    assert diff["before_header"] == diff["after_header"] == link
    assert "link: (none)\n" in diff["before"] and "link: %s\n" % built["venv"] in diff["after"]
    assert "virtualenv: absent\n" in diff["before"]
    assert "virtualenv: built: flaskstack_other --requirement" in diff["after"]


# Reuse


def test_a_release_with_the_same_requirements_reuses_the_venv_without_starting_pip(built, monkeypatch):
    release = make_release(built["releases"], "r2", REQUIREMENTS)
    venvs = sorted(os.listdir(str(built["venvs_dir"])))
    calls = record_commands(monkeypatch)
    with pip_cannot_start(built["venv"]):
        result = run(**arguments(release, built["venvs_dir"], owner=OWNER, group=GROUP))
        assert not result.get("failed"), result
        assert result["venv"] == built["venv"]
        assert result["changed"] and result["linked"]
        assert not result["created"] and not result["pip_ran"] and result["installed"] == []
        assert calls == []
        assert os.readlink(str(release / LINK)) == built["venv"]

        again = run(**arguments(release, built["venvs_dir"], owner=OWNER, group=GROUP))
        assert not again.get("failed"), again
        assert not again["changed"] and not again["linked"] and not again["pip_ran"]
    assert sorted(os.listdir(str(built["venvs_dir"]))) == venvs


def test_diff_names_the_link_changing_from_another_venv(tmp_path):
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    venvs_dir = tmp_path / "venvs"
    venv = complete_venv(release, venvs_dir)
    os.chmod(str(venvs_dir), 0o750)
    os.chown(str(venvs_dir), 0, grp.getgrnam(GROUP).gr_gid)
    os.symlink("/srv/elsewhere", str(release / LINK))
    result = run(diff=True, **arguments(release, venvs_dir, group=GROUP))
    assert not result.get("failed"), result
    assert result["changed"] and result["linked"] and not result["created"] and not result["pip_ran"]
    assert result["diff"]["before"] == "link: /srv/elsewhere\n"
    assert result["diff"]["after"] == "link: %s\n" % venv
    assert os.readlink(str(release / LINK)) == venv


def test_different_requirements_give_a_different_venv(tmp_path, monkeypatch):
    releases, venvs_dir = tmp_path / "releases", tmp_path / "venvs"
    first = make_release(releases, "r1", REQUIREMENTS)
    first_venv = complete_venv(first, venvs_dir)
    os.symlink(first_venv, str(first / LINK))
    stamp = venv_utils.read_stamp(first_venv)
    # The same base packages; requirements of another content.
    release = make_release(releases, "r2", "flaskstack_probe>=2\n")
    calls = record_commands(monkeypatch)
    result = run(**arguments(release, venvs_dir))
    assert not result.get("failed"), result
    assert result["created"] and result["venv"] != first_venv
    assert os.path.dirname(result["venv"]) == str(venvs_dir)
    assert sorted(result["installed"]) == ["flaskstack_other==1.0", "flaskstack_probe==2.0"]
    assert len(venv_builds(calls)) == 1 and len(pip_installs(calls)) == 1
    assert dists(result["venv"]) == ["flaskstack_other-1.0.dist-info", "flaskstack_probe-2.0.dist-info"]
    assert os.readlink(str(release / LINK)) == result["venv"]
    # The first release's virtualenv and link are as they were.
    assert sorted(os.listdir(first_venv)) == sorted(["bin", venv_utils.STAMP])
    assert venv_utils.read_stamp(first_venv) == stamp
    assert os.readlink(str(first / LINK)) == first_venv


# Unfinished and failed builds


def test_an_unfinished_venv_is_removed_and_built_again(tmp_path, monkeypatch):
    # No requirements file in the release: the base packages only.
    release = make_release(tmp_path / "releases", "r1")
    venvs_dir = tmp_path / "venvs"
    args = arguments(release, venvs_dir, packages=["flaskstack_probe==2.0"])
    venv = run(check_mode=True, **args)["venv"]
    assert venv
    # What a run that stopped half way leaves: a venv without its stamp.
    os.makedirs(os.path.join(venv, "bin"))
    with open(os.path.join(venv, "half-written"), "w") as handle:
        handle.write("pip stopped here\n")

    calls = record_commands(monkeypatch)
    result = run(diff=True, **args)
    assert not result.get("failed"), result
    assert result["venv"] == venv and result["created"] and result["changed"]
    assert "virtualenv: unfinished, removed\n" in result["diff"]["before"]
    assert not os.path.exists(os.path.join(venv, "half-written"))
    assert len(venv_builds(calls)) == 1
    assert dists(venv) == ["flaskstack_probe-2.0.dist-info"]
    assert "release" in venv_utils.read_stamp(venv)
    assert os.readlink(str(release / LINK)) == venv


def test_a_pip_failure_fails_with_pip_s_words_leaves_no_stamp_and_the_next_run_builds_again(tmp_path, monkeypatch):
    late = tmp_path / "late"
    late.mkdir()
    offline(monkeypatch, late)
    release = make_release(tmp_path / "releases", "r1", "flaskstack_late==1.0\n")
    venvs_dir = tmp_path / "venvs"
    args = arguments(release, venvs_dir, packages=[])

    failed = run(**args)
    assert failed.get("failed") is True and failed["rc"] != 0
    assert "flaskstack_late" in failed["stderr"] + failed["stdout"]
    venv = failed["venv"]
    assert "release" not in venv_utils.read_stamp(venv)
    assert not os.path.lexists(os.path.join(venv, venv_utils.STAMP))
    assert not os.path.lexists(str(release / LINK))

    # The wheel appears (the index is back): the same venv, built again from scratch.
    make_wheel(late, "flaskstack_late", "1.0")
    calls = record_commands(monkeypatch)
    result = run(**args)
    assert not result.get("failed"), result
    assert result["venv"] == venv and result["created"]
    assert result["installed"] == ["flaskstack_late==1.0"]
    assert len(venv_builds(calls)) == 1
    assert "release" in venv_utils.read_stamp(venv)
    assert os.readlink(str(release / LINK)) == venv


# Check mode


def test_check_mode_on_a_new_release_builds_nothing_and_says_what_would_change(tmp_path, monkeypatch):
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    venvs_dir = tmp_path / "venvs"
    calls = record_commands(monkeypatch)
    result = run(check_mode=True, diff=True, **arguments(release, venvs_dir))
    assert not result.get("failed"), result
    assert result["changed"] and result["created"] and result["linked"]
    assert not result["pip_ran"] and result["installed"] == []
    assert os.path.dirname(result["venv"]) == str(venvs_dir)
    assert calls == []
    assert not venvs_dir.exists()
    assert sorted(os.listdir(str(release))) == ["app.py", "requirements.txt"]
    assert "link: %s\n" % result["venv"] in result["diff"]["after"]
    # The name it would have is the one a real run gives (no build needed to see it).
    assert result["venv"] == os.path.join(str(venvs_dir), module.venv_key(
        PACKAGES, venv_utils.requirements_digests(str(release / "requirements.txt")), os.path.realpath(sys.executable)))


def test_check_mode_on_a_release_with_a_complete_venv_only_reports_the_link(tmp_path, monkeypatch):
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    venv = complete_venv(release, tmp_path / "venvs")
    calls = record_commands(monkeypatch)
    result = run(check_mode=True, **arguments(release, tmp_path / "venvs"))
    assert not result.get("failed"), result
    assert result["changed"] and result["linked"] and not result["created"] and not result["pip_ran"]
    assert result["venv"] == venv and calls == []
    assert not os.path.lexists(str(release / LINK))


def test_check_mode_on_a_release_not_built_yet_reports_a_venv_to_come(tmp_path):
    venvs_dir = tmp_path / "venvs"
    args = arguments(tmp_path / "releases" / ".build-r1", venvs_dir)
    result = run(check_mode=True, **args)
    assert not result.get("failed"), result
    assert result["changed"] and result["created"] and result["linked"]
    assert result["venv"] == ""
    assert os.listdir(str(tmp_path)) == []
    # Outside check mode the release must exist.
    result = run(**args)
    assert result.get("failed") is True and "does not exist" in result["msg"]
    assert os.listdir(str(tmp_path)) == []


# Refusals


@pytest.mark.parametrize("kind", ["directory", "file"])
@pytest.mark.parametrize("check_mode", [False, True])
def test_a_non_link_in_place_of_the_release_s_link_is_refused_and_kept(tmp_path, kind, check_mode):
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    complete_venv(release, tmp_path / "venvs")
    taken = release / LINK
    if kind == "directory":
        taken.mkdir()
        (taken / "precious.txt").write_text("someone's work\n")
    else:
        taken.write_text("someone's work\n")
    result = run(check_mode=check_mode, **arguments(release, tmp_path / "venvs"))
    assert result.get("failed") is True
    assert str(taken) in result["msg"] and "not a symbolic link" in result["msg"]
    assert not taken.is_symlink()
    assert (taken / "precious.txt" if kind == "directory" else taken).read_text() == "someone's work\n"


@pytest.mark.parametrize("requirements", ["/etc/requirements.txt", "../requirements.txt", "deploy/../../r.txt", ".."])
def test_a_requirements_path_outside_the_release_is_refused(tmp_path, requirements):
    release = make_release(tmp_path / "releases", "r1", REQUIREMENTS)
    result = run(**arguments(release, tmp_path / "venvs", requirements=requirements))
    assert result.get("failed") is True
    assert "must be a path inside the release" in result["msg"] and repr(requirements) in result["msg"]
    assert not (tmp_path / "venvs").exists() and not os.path.lexists(str(release / LINK))
