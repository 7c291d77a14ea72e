# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release module run in-process, as Ansible runs it, on real directories and links."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskstack.deploy.plugins.modules import release as release_module

# The module sets owner root on the releases directory; tests run as root, so
# the group must be one this process has.
GROUP = grp.getgrgid(os.getgid()).gr_name

# Release mtimes, oldest first, far enough apart that no filesystem rounds them together.
BASE = 1600000000


def run(capsys, check_mode=False, diff=False, **args):
    """Run the module with these arguments; return its JSON result."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            release_module.main()
    out = capsys.readouterr().out
    return json.loads(out)


@pytest.fixture()
def root(tmp_path):
    """An app's root: releases/ goes here, and the live and previous links."""
    path = tmp_path / "app"
    path.mkdir()
    return path


def arguments(root, release, releases_dir=None, **extra):
    args = dict(
        releases_dir=str(releases_dir or root / "releases"),
        release=release,
        live=str(root / "current"),
        previous=str(root / "previous"),
        group=GROUP,
    )
    args.update(extra)
    return args


def make_releases(root, names, releases_dir=None):
    """Release directories with distinct mtimes, the first name the oldest."""
    releases = releases_dir or root / "releases"
    if not releases.is_dir():
        releases.mkdir(mode=0o750)
    for name in names:
        (releases / name).mkdir()
        (releases / name / "app.py").write_text("RELEASE = %r\n" % name)
    # After the contents: writing a file into a directory changes its mtime.
    for index, name in enumerate(names):
        os.utime(str(releases / name), (BASE + 100 * index, BASE + 100 * index))
    return releases


def real(path):
    return os.path.realpath(str(path))


def entries(directory):
    return sorted(os.listdir(str(directory)))


def snapshot(directory):
    """Everything under directory: link targets, types, modes and mtimes."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(str(directory)):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            seen[os.path.relpath(path, str(directory))] = (
                os.readlink(path) if os.path.islink(path) else None,
                stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_mtime_ns)
    return seen


# state=present


def test_present_creates_the_releases_dir_0750_then_is_idempotent(capsys, root):
    releases = root / "releases"
    first = run(capsys, **arguments(root, "r1"))
    assert first["changed"] is True
    assert not first.get("failed"), first
    assert releases.is_dir() and not releases.is_symlink()
    info = os.stat(str(releases))
    assert stat.S_IMODE(info.st_mode) == 0o750
    assert info.st_uid == 0
    assert info.st_gid == os.getgid()
    assert first["exists"] is False
    assert first["switched"] is False and first["pruned"] == []

    (releases / "r1").mkdir()
    second = run(capsys, **arguments(root, "r1"))
    assert second["changed"] is False
    assert second["exists"] is True
    # present only looks: no link appears.
    assert not os.path.lexists(str(root / "current"))
    assert not os.path.lexists(str(root / "previous"))


def test_present_says_which_of_the_files_the_release_holds(capsys, root):
    releases = make_releases(root, ["r1"])
    (releases / "r1" / "deploy").mkdir()
    (releases / "r1" / "deploy" / "requirements.txt").write_text("Flask\n")
    os.symlink("gone.txt", str(releases / "r1" / "dangling.txt"))
    result = run(capsys, **arguments(root, "r1", files=["app.py", "deploy/requirements.txt", "dangling.txt",
                                                        "requirements.txt"]))
    assert result["found"] == ["app.py", "deploy/requirements.txt", "dangling.txt"]
    assert result["changed"] is False
    assert run(capsys, **arguments(root, "r2", files=["app.py"]))["found"] == []


@pytest.mark.parametrize("name", ["/etc/passwd", "../r2/app.py", "a/../../x", "", "."])
def test_files_outside_the_release_are_refused(capsys, root, name):
    make_releases(root, ["r1"])
    result = run(capsys, **arguments(root, "r1", files=[name]))
    assert result["failed"] and "must be a path inside the release" in result["msg"]


def test_present_fixes_the_mode_of_an_existing_releases_dir(capsys, root):
    releases = root / "releases"
    releases.mkdir()
    os.chmod(str(releases), 0o755)
    result = run(capsys, **arguments(root, "r1"))
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(str(releases)).st_mode) == 0o750
    assert run(capsys, **arguments(root, "r1"))["changed"] is False


def test_present_reports_the_links_as_resolved_paths(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    alone = run(capsys, **arguments(root, "r2"))
    assert alone["was_live"] == ""
    assert alone["was_previous"] == ""

    # A relative link and an absolute one: both come back resolved.
    os.symlink("releases/r2", str(root / "current"))
    os.symlink(str(releases / "r1"), str(root / "previous"))
    linked = run(capsys, **arguments(root, "r2"))
    assert linked["was_live"] == real(releases / "r2")
    assert linked["was_previous"] == real(releases / "r1")
    assert linked["changed"] is False
    assert os.readlink(str(root / "current")) == "releases/r2"
    assert os.readlink(str(root / "previous")) == str(releases / "r1")


def test_present_check_mode_on_a_missing_releases_dir_creates_nothing(capsys, root):
    result = run(capsys, check_mode=True, **arguments(root, "r1"))
    assert result["changed"] is True
    assert not result.get("failed"), result
    assert entries(root) == []


# state=live: switching


def test_live_switches_and_keeps_the_old_live_as_previous(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    current, previous = str(root / "current"), str(root / "previous")

    first = run(capsys, **arguments(root, "r1", state="live"))
    assert first["changed"] is True and first["switched"] is True
    assert first["was_live"] == "" and first["exists"] is True
    assert os.path.islink(current)
    assert real(current) == real(releases / "r1")
    assert not os.path.lexists(previous)

    second = run(capsys, **arguments(root, "r2", state="live"))
    assert second["changed"] is True and second["switched"] is True
    assert second["was_live"] == real(releases / "r1")
    assert real(current) == real(releases / "r2")
    assert os.path.islink(previous)
    assert real(previous) == real(releases / "r1")

    links = (os.readlink(current), os.readlink(previous))
    again = run(capsys, **arguments(root, "r2", state="live"))
    assert again["changed"] is False
    assert again["switched"] is False
    assert again["pruned"] == []
    assert (os.readlink(current), os.readlink(previous)) == links


def test_rolling_back_to_the_previous_release_swaps_the_links(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    run(capsys, **arguments(root, "r1", state="live"))
    run(capsys, **arguments(root, "r2", state="live"))
    back = run(capsys, **arguments(root, "r1", state="live"))
    assert back["switched"] is True
    assert real(root / "current") == real(releases / "r1")
    assert real(root / "previous") == real(releases / "r2")
    assert sorted(entries(releases)) == ["r1", "r2"]


def test_the_switch_leaves_a_symlink_and_no_temporary_file(capsys, root):
    make_releases(root, ["r1", "r2", "r3"])
    for name in ("r1", "r2", "r3"):
        result = run(capsys, **arguments(root, name, state="live"))
        assert result["switched"] is True
        assert os.path.islink(str(root / "current"))
        assert os.path.islink(str(root / "previous")) or name == "r1"
        assert [entry for entry in entries(root) if entry.startswith(".")] == []
    assert entries(root) == ["current", "previous", "releases"]


def test_a_failed_rename_removes_the_temporary_link_and_keeps_the_old_one(capsys, root, monkeypatch):
    releases = make_releases(root, ["r1", "r2"])
    os.symlink(str(releases / "r1"), str(root / "current"))

    def refuse(source, destination):
        raise OSError(13, "refused by the test", destination)

    monkeypatch.setattr(release_module.os, "rename", refuse)
    args = arguments(root, "r2", state="live")
    args["_ansible_check_mode"] = False
    args["_ansible_diff"] = False
    with patch_module_args(args):
        with pytest.raises(OSError, match="refused by the test"):
            release_module.main()
    monkeypatch.undo()
    capsys.readouterr()
    assert os.readlink(str(root / "current")) == str(releases / "r1")
    assert [entry for entry in entries(root) if entry.startswith(".")] == []


# state=live: pruning


def make_five_and_clutter(root):
    """r1 (oldest) .. r5 (newest), plus what is never a release."""
    releases = make_releases(root, ["r1", "r2", "r3", "r4", "r5"])
    (releases / ".build-r6").mkdir()
    (releases / ".build-r6" / "partial").write_text("half written\n")
    (releases / "notes.txt").write_text("not a release\n")
    os.symlink(str(releases / "r5"), str(releases / "latest"))
    # Oldest of all, so an mtime-only rule would take them first.
    for name in (".build-r6", "notes.txt"):
        os.utime(str(releases / name), (BASE - 1000, BASE - 1000))
    os.utime(str(releases / "latest"), (BASE - 1000, BASE - 1000), follow_symlinks=False)
    return releases


CLUTTER = [".build-r6", "latest", "notes.txt"]


def test_pruning_never_takes_the_old_live_even_when_it_is_the_oldest(capsys, root):
    releases = make_five_and_clutter(root)
    os.symlink(str(releases / "r1"), str(root / "current"))
    os.symlink(str(releases / "r2"), str(root / "previous"))
    before = set(entries(releases))

    result = run(capsys, **arguments(root, "r5", state="live", keep=3))
    assert result["changed"] is True and result["switched"] is True
    removed = before - set(entries(releases))
    assert sorted(result["pruned"]) == sorted(real(releases / name) for name in removed)
    assert removed == {"r2", "r3"}
    # Kept: the new live, the old live now previous (the oldest), the newest other.
    assert entries(releases) == sorted(CLUTTER + ["r1", "r4", "r5"])
    assert (releases / ".build-r6" / "partial").read_text() == "half written\n"
    assert real(root / "current") == real(releases / "r5")
    assert real(root / "previous") == real(releases / "r1")


def test_pruning_never_takes_the_live_nor_the_previous_when_they_are_the_two_oldest(capsys, root):
    releases = make_five_and_clutter(root)
    os.symlink(str(releases / "r2"), str(root / "current"))
    os.symlink(str(releases / "r1"), str(root / "previous"))
    before = set(entries(releases))

    result = run(capsys, **arguments(root, "r2", state="live", keep=3))
    assert result["switched"] is False
    assert result["changed"] is True
    removed = before - set(entries(releases))
    assert removed == {"r3", "r4"}
    assert sorted(result["pruned"]) == sorted(real(releases / name) for name in removed)
    assert entries(releases) == sorted(CLUTTER + ["r1", "r2", "r5"])

    # Nothing beyond keep any more: the next run prunes nothing.
    again = run(capsys, **arguments(root, "r2", state="live", keep=3))
    assert again["pruned"] == [] and again["changed"] is False


def test_pruning_nothing_when_there_are_no_more_than_keep(capsys, root):
    releases = make_five_and_clutter(root)
    result = run(capsys, **arguments(root, "r3", state="live", keep=5))
    assert result["pruned"] == []
    assert entries(releases) == sorted(CLUTTER + ["r1", "r2", "r3", "r4", "r5"])


def test_keep_counts_a_release_that_is_both_live_and_previous_once(capsys, root):
    releases = make_releases(root, ["r1", "r2", "r3", "r4"])
    # The live link was lost; the release going live is the previous one.
    os.symlink(str(releases / "r1"), str(root / "previous"))
    result = run(capsys, **arguments(root, "r1", state="live", keep=3))
    assert real(root / "current") == real(releases / "r1")
    # keep=3: r1 and the two newest others.
    assert result["pruned"] == [real(releases / "r2")]
    assert entries(releases) == ["r1", "r3", "r4"]


# Check mode and diff mode


def test_check_mode_live_changes_nothing_but_reports_what_would_happen(capsys, root):
    releases = make_releases(root, ["r1", "r2", "r3", "r4", "r5"])
    os.symlink(str(releases / "r4"), str(root / "current"))
    os.symlink(str(releases / "r3"), str(root / "previous"))
    before = snapshot(root.parent)

    check = run(capsys, check_mode=True, **arguments(root, "r5", state="live", keep=3))
    assert snapshot(root.parent) == before
    assert check["changed"] is True
    assert check["switched"] is True
    assert check["pruned"] == [real(releases / "r2"), real(releases / "r1")]

    # What check mode promised is what a real run does.
    done = run(capsys, **arguments(root, "r5", state="live", keep=3))
    assert done["switched"] is True
    assert done["pruned"] == check["pruned"]
    assert entries(releases) == ["r3", "r4", "r5"]
    assert real(root / "previous") == real(releases / "r4")


def test_check_mode_live_reports_an_unchanged_release_as_unchanged(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    os.symlink(str(releases / "r2"), str(root / "current"))
    os.symlink(str(releases / "r1"), str(root / "previous"))
    before = snapshot(root.parent)
    check = run(capsys, check_mode=True, **arguments(root, "r2", state="live", keep=2))
    assert check["changed"] is False and check["switched"] is False and check["pruned"] == []
    assert snapshot(root.parent) == before


def test_check_mode_live_on_a_release_not_built_yet_reports_the_switch(capsys, root):
    releases = make_releases(root, ["r1"])
    os.symlink(str(releases / "r1"), str(root / "current"))
    before = snapshot(root.parent)
    result = run(capsys, check_mode=True, **arguments(root, "r2", state="live"))
    assert not result.get("failed"), result
    assert result["exists"] is False
    assert result["switched"] is True and result["changed"] is True
    assert snapshot(root.parent) == before


def test_check_mode_live_with_no_releases_dir_yet_reports_the_switch(capsys, root):
    result = run(capsys, check_mode=True, **arguments(root, "r1", state="live"))
    assert not result.get("failed"), result
    assert result["switched"] is True and result["changed"] is True
    assert result["pruned"] == []
    assert entries(root) == []


def test_diff_names_the_live_release_change(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    os.symlink(str(releases / "r1"), str(root / "current"))
    result = run(capsys, diff=True, **arguments(root, "r2", state="live"))
    diff = result["diff"]
    assert "live: %s\n" % real(releases / "r1") in diff["before"]
    assert "previous: (none)\n" in diff["before"]
    assert "live: %s\n" % real(releases / "r2") in diff["after"]
    assert "previous: %s\n" % real(releases / "r1") in diff["after"]
    assert diff["before_header"] == str(releases)

    unchanged = run(capsys, diff=True, **arguments(root, "r2", state="live"))
    assert unchanged["changed"] is False
    assert unchanged["diff"]["before"] == unchanged["diff"]["after"]


def test_check_mode_diff_equals_the_real_diff(capsys, root):
    releases = make_releases(root, ["r1", "r2", "r3"])
    os.symlink(str(releases / "r2"), str(root / "current"))
    os.symlink(str(releases / "r1"), str(root / "previous"))
    check = run(capsys, check_mode=True, diff=True, **arguments(root, "r3", state="live", keep=2))
    done = run(capsys, diff=True, **arguments(root, "r3", state="live", keep=2))
    assert check["diff"] == done["diff"]
    assert "  r1\n" in done["diff"]["before"] and "  r1\n" not in done["diff"]["after"]


def test_diff_shows_a_releases_dir_being_created(capsys, root):
    result = run(capsys, check_mode=True, diff=True, **arguments(root, "r1"))
    assert "state: absent\n" in result["diff"]["before"]
    assert "state: directory\n" in result["diff"]["after"]


# Failures


@pytest.mark.parametrize("which", ["live", "previous"])
def test_a_real_directory_in_place_of_a_link_is_refused_and_kept(capsys, root, which):
    releases = make_releases(root, ["r1", "r2"])
    os.symlink(str(releases / "r1"), str(root / "current"))
    taken = root / ("current" if which == "live" else "previous")
    if which == "live":
        taken.unlink()
    taken.mkdir()
    (taken / "precious.txt").write_text("someone's work\n")
    before = snapshot(root.parent)

    for state in ("live", "present"):
        result = run(capsys, **arguments(root, "r2", state=state))
        assert result["failed"] is True
        assert str(taken) in result["msg"]
        assert snapshot(root.parent) == before
    assert taken.is_dir() and not taken.is_symlink()
    assert (taken / "precious.txt").read_text() == "someone's work\n"


def test_a_regular_file_in_place_of_the_live_link_is_refused(capsys, root):
    make_releases(root, ["r1"])
    (root / "current").write_text("not a link\n")
    result = run(capsys, **arguments(root, "r1", state="live"))
    assert result["failed"] is True
    assert str(root / "current") in result["msg"]
    assert (root / "current").read_text() == "not a link\n"


@pytest.mark.parametrize("name", ["a/b", "..", ".", "../etc", "../../r1", "/etc", "r1/..", ".hidden", ""])
def test_a_release_that_is_not_a_plain_name_is_refused(capsys, root, name):
    make_releases(root, ["r1"])
    before = snapshot(root.parent)
    result = run(capsys, **arguments(root, name, state="live"))
    assert result["failed"] is True
    assert "must be a directory name" in result["msg"]
    assert snapshot(root.parent) == before


@pytest.mark.parametrize("keep", [1, 0, -3])
def test_keep_below_two_is_refused(capsys, root, keep):
    make_releases(root, ["r1", "r2", "r3"])
    before = snapshot(root.parent)
    result = run(capsys, **arguments(root, "r1", state="live", keep=keep))
    assert result["failed"] is True
    assert "keep is %d" % keep in result["msg"]
    assert snapshot(root.parent) == before


def test_keep_two_is_accepted(capsys, root):
    make_releases(root, ["r1", "r2", "r3"])
    result = run(capsys, **arguments(root, "r1", state="live", keep=2))
    assert not result.get("failed"), result


def test_live_on_a_missing_release_fails_naming_it(capsys, root):
    releases = make_releases(root, ["r1"])
    os.symlink(str(releases / "r1"), str(root / "current"))
    before = snapshot(root.parent)
    result = run(capsys, **arguments(root, "3f2a9c1b7d0e", state="live"))
    assert result["failed"] is True
    assert "3f2a9c1b7d0e" in result["msg"]
    assert "does not exist" in result["msg"]
    assert snapshot(root.parent) == before


def test_a_releases_dir_that_is_a_file_is_refused(capsys, root):
    (root / "releases").write_text("oops\n")
    result = run(capsys, **arguments(root, "r1"))
    assert result["failed"] is True
    assert "is not a directory" in result["msg"]
    assert (root / "releases").read_text() == "oops\n"


# A releases directory reached through a symbolic link


@pytest.mark.parametrize("links_through", ["symlinked", "real"])
def test_a_releases_dir_under_a_symlinked_parent(capsys, tmp_path, links_through):
    real_root = tmp_path / "real"
    real_root.mkdir()
    linked_root = tmp_path / "app"
    os.symlink(str(real_root), str(linked_root))
    releases = make_releases(real_root, ["r1", "r2", "r3", "r4"])
    through = linked_root / "releases"
    # The links live in the real root; the module is given the path through the link.
    os.symlink(str((linked_root if links_through == "symlinked" else real_root) / "releases" / "r1"),
               str(real_root / "current"))

    args = dict(arguments(real_root, "r2", releases_dir=through, state="live", keep=2))
    first = run(capsys, **args)
    assert first["switched"] is True
    assert first["was_live"] == real(releases / "r1")
    assert real(real_root / "previous") == real(releases / "r1")
    # keep=2 is the live and the previous: the others go, the previous stays.
    assert sorted(first["pruned"]) == sorted([real(releases / "r3"), real(releases / "r4")])
    assert entries(releases) == ["r1", "r2"]

    again = run(capsys, **args)
    assert again["changed"] is False
    assert again["switched"] is False
    assert again["pruned"] == []
    assert entries(releases) == ["r1", "r2"]
    assert real(real_root / "previous") == real(releases / "r1")
    assert real(real_root / "current") == real(releases / "r2")


def test_relinking_the_live_release_given_through_the_symlinked_parent_is_no_change(capsys, tmp_path):
    real_root = tmp_path / "real"
    real_root.mkdir()
    linked_root = tmp_path / "app"
    os.symlink(str(real_root), str(linked_root))
    releases = make_releases(real_root, ["r1", "r2", "r3"])
    # Links as a hand or another tool made them: to the real paths.
    os.symlink(str(releases / "r3"), str(real_root / "current"))
    os.symlink(str(releases / "r1"), str(real_root / "previous"))
    before = snapshot(real_root)
    result = run(capsys, **arguments(real_root, "r3", releases_dir=linked_root / "releases", state="live", keep=3))
    assert result["changed"] is False
    assert result["switched"] is False
    assert result["pruned"] == []
    assert snapshot(real_root) == before


def test_a_releases_dir_whose_parent_is_missing_is_refused_with_a_message(capsys, tmp_path):
    root = tmp_path / "missing"
    result = run(capsys, releases_dir=str(root / "releases"), release="r1", live=str(tmp_path / "current"),
                 previous=str(tmp_path / "previous"), group=GROUP)
    assert result.get("failed") is True
    assert "parent directory does not exist" in result["msg"] and str(root / "releases") in result["msg"]
    assert not root.exists()


def test_live_and_previous_given_as_one_path_are_refused(capsys, root):
    make_releases(root, ["r1"])
    result = run(capsys, **arguments(root, "r1", previous=str(root / "current"), state="live"))
    assert result.get("failed") is True
    assert "two links" in result["msg"]
    assert not os.path.lexists(str(root / "current"))


# state=staged


def make_archive(path, entries_):
    """A tar archive at path of (name, kind, payload) entries: kind file (payload
    the bytes), exec (an executable file), dir, or link (payload the target)."""
    import io
    import tarfile
    with tarfile.open(str(path), "w:gz") as tar:
        for name, kind, payload in entries_:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
            else:
                info.size, info.mode = len(payload), 0o755 if kind == "exec" else 0o644
                tar.addfile(info, io.BytesIO(payload))
    return str(path)


def test_staged_makes_the_build_afresh_with_the_archive_s_files(capsys, root, tmp_path):
    releases = make_releases(root, ["r1"])
    build = releases / ".build-r2"
    build.mkdir()
    (build / "left-over.py").write_text("from an unfinished build\n")
    archive = make_archive(tmp_path / "code.tar.gz", [
        ("app.py", "file", b"app = 1\n"),
        ("bin", "dir", None),
        ("bin/run", "exec", b"#!/bin/sh\n"),
        ("static/css/site.css", "file", b"body {}\n"),  # parents not listed: made on the way
        ("current.css", "link", "static/css/site.css"),
    ])
    result = run(capsys, **arguments(root, "r2", state="staged", archive=archive,
                                     files=["app.py", "requirements.txt", "bin/run"]))
    assert not result.get("failed"), result
    assert result["changed"] is True and result["staged"] == 4
    # found looks in the build it staged.
    assert result["found"] == ["app.py", "bin/run"]
    assert result["build"] == str(build)
    assert snapshot(build).keys() == {"app.py", "bin", "bin/run", "static", "static/css", "static/css/site.css",
                                      "current.css"}
    assert (build / "app.py").read_text() == "app = 1\n"
    assert os.readlink(str(build / "current.css")) == "static/css/site.css"
    modes = {name: stat.S_IMODE(os.lstat(str(build / name)).st_mode)
             for name in ["app.py", "bin", "bin/run", "static", "static/css", "static/css/site.css"]}
    assert modes == {"app.py": 0o640, "bin": 0o750, "bin/run": 0o750, "static": 0o750, "static/css": 0o750,
                     "static/css/site.css": 0o640}
    assert stat.S_IMODE(os.stat(str(build)).st_mode) == 0o750
    for dirpath, dirnames, filenames in os.walk(str(build)):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            info = os.lstat(name)
            assert (info.st_uid, info.st_gid) == (0, os.getgid()), name
    # Staging touches neither the releases nor the links.
    assert entries(releases) == [".build-r2", "r1"]
    assert not os.path.lexists(str(root / "current"))


def test_staged_without_an_archive_leaves_an_empty_build(capsys, root):
    releases = make_releases(root, ["r1"])
    result = run(capsys, **arguments(root, "r2", state="staged"))
    assert result["changed"] is True and result["staged"] == 0
    assert entries(releases / ".build-r2") == []


@pytest.mark.parametrize("bad, why", [
    ([("../escape.py", "file", b"x")], "not a path inside the release"),
    ([("/etc/cron.d/x", "file", b"x")], "not a path inside the release"),
    ([("pipe", "fifo", None)], "not a file, a directory or a symbolic link"),
    # A link the archive made, then a file written through it.
    ([("out", "link", ".."), ("out/escape.py", "file", b"x")], "outside the release"),
])
def test_staged_refuses_entries_that_would_leave_the_build_and_keeps_nothing(capsys, root, tmp_path, bad, why):
    releases = make_releases(root, ["r1"])
    archive = make_archive(tmp_path / "bad.tar.gz", [("app.py", "file", b"app = 1\n")] + bad)
    result = run(capsys, **arguments(root, "r2", state="staged", archive=archive))
    assert result.get("failed") is True
    assert why in result["msg"] and "r2" in result["msg"], result["msg"]
    # No build is left, and nothing was written beside it.
    assert entries(releases) == ["r1"]


def test_staged_in_check_mode_changes_nothing_and_says_so(capsys, root, tmp_path):
    releases = make_releases(root, ["r1"])
    (releases / ".build-r2").mkdir()
    before = snapshot(root)
    archive = make_archive(tmp_path / "code.tar.gz", [("app.py", "file", b"app = 1\n")])
    result = run(capsys, check_mode=True, diff=True, **arguments(root, "r2", state="staged", archive=archive,
                                                                 files=["app.py"]))
    assert result["changed"] is True and result["staged"] == 0 and result["found"] == []
    assert "build: unfinished, removed" in result["diff"]["before"]
    assert "build: made afresh from the archive" in result["diff"]["after"]
    assert snapshot(root) == before


def test_src_and_archive_are_refused_where_they_do_not_belong(capsys, root, tmp_path):
    make_releases(root, ["r1"])
    direct = run(capsys, **arguments(root, "r2", state="staged", src=str(tmp_path)))
    assert direct.get("failed") is True and "action plugin" in direct["msg"]
    archive = make_archive(tmp_path / "code.tar.gz", [("app.py", "file", b"app = 1\n")])
    looked = run(capsys, **arguments(root, "r1", archive=archive))
    assert looked.get("failed") is True and "only read with state=staged" in looked["msg"]


def test_settled_when_the_release_is_live_and_none_is_beyond_keep(capsys, root):
    releases = make_releases(root, ["r1", "r2", "r3"])
    assert run(capsys, **arguments(root, "r3", keep=3))["settled"] is False  # nothing is live yet
    run(capsys, **arguments(root, "r2", state="live", keep=3))
    run(capsys, **arguments(root, "r3", state="live", keep=3))
    assert run(capsys, **arguments(root, "r3", keep=3))["settled"] is True
    # Another release, or a lower keep, would change something.
    assert run(capsys, **arguments(root, "r2", keep=3))["settled"] is False
    lower = run(capsys, **arguments(root, "r3", keep=2))
    assert lower["settled"] is False
    # And state=live agrees with each answer.
    assert run(capsys, check_mode=True, **arguments(root, "r3", state="live", keep=3))["changed"] is False
    assert run(capsys, check_mode=True, **arguments(root, "r3", state="live", keep=2))["changed"] is True
    assert entries(releases) == ["r1", "r2", "r3"]


# The live virtualenv: each release links to its own (release_venv's
# .flaskstack-venv), plain directories here; the app's venv link follows the
# live release.

VENV_LINK = ".flaskstack-venv"


def venv_arguments(root, release, **extra):
    return arguments(root, release, venv=str(root / "venv"), venvs_dir=str(root / "venvs"), **extra)


def give_venvs(root, links):
    """Virtualenvs in venvs/ (directories) and the releases' links to them, as
    {release: venv name}; a release keeps its mtime (the releases' order)."""
    venvs = root / "venvs"
    venvs.mkdir(exist_ok=True)
    for release, name in links.items():
        (venvs / name).mkdir(exist_ok=True)
        (venvs / name / "pyvenv.cfg").write_text("home = /usr/bin\n")
        path = root / "releases" / release
        mtime = os.stat(str(path)).st_mtime
        os.symlink(str(venvs / name), str(path / VENV_LINK))
        os.utime(str(path), (mtime, mtime))
    return venvs


def shared_venv(root, stamped):
    """A directory where the venv link goes: the virtualenv all releases shared
    before they had their own (with venv_packages' stamp), or someone else's."""
    path = root / "venv"
    (path / "bin").mkdir(parents=True)
    (path / "bin" / "python").write_text("")
    if stamped:
        (path / ".flaskstack-packages.json").write_text('{"base": "0123"}')
    else:
        (path / "precious.txt").write_text("someone's work\n")
    return path


def test_live_switches_the_venv_link_to_the_release_s_venv(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    first = run(capsys, **venv_arguments(root, "r1", state="live"))
    assert not first.get("failed"), first
    assert first["venv_switched"] is True and first["was_venv"] == ""
    assert os.readlink(str(root / "venv")) == str(venvs / "a")

    before = snapshot(root.parent)
    check = run(capsys, check_mode=True, **venv_arguments(root, "r2", state="live"))
    assert check["changed"] is True and check["venv_switched"] is True
    assert snapshot(root.parent) == before

    second = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert second["switched"] is True and second["venv_switched"] is True and second["changed"] is True
    assert second["venv"] == str(venvs / "b") and second["was_venv"] == real(venvs / "a")
    assert os.readlink(str(root / "venv")) == str(venvs / "b")
    assert os.readlink(str(root / "current")) == str(releases / "r2")
    # The previous release still links to its own.
    assert second["pruned_venvs"] == [] and entries(venvs) == ["a", "b"]

    again = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert again["changed"] is False and again["venv_switched"] is False and again["pruned_venvs"] == []
    assert again["was_venv"] == real(venvs / "b")


def test_a_venv_link_pointing_elsewhere_is_switched_back_on_the_live_release(capsys, root):
    make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    run(capsys, **venv_arguments(root, "r2", state="live"))
    os.unlink(str(root / "venv"))
    os.symlink(str(venvs / "a"), str(root / "venv"))
    # The live release is unchanged; its virtualenv is not the live one.
    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert result["switched"] is False
    assert result["venv_switched"] is True and result["changed"] is True
    assert os.readlink(str(root / "venv")) == str(venvs / "b")


def test_a_release_without_a_venv_of_its_own_keeps_the_live_venv(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a"})
    run(capsys, **venv_arguments(root, "r1", state="live"))
    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert not result.get("failed"), result
    assert result["switched"] is True and result["venv_switched"] is False
    assert result["venv"] == ""
    assert os.readlink(str(root / "venv")) == str(venvs / "a")
    assert os.readlink(str(root / "current")) == str(releases / "r2")
    assert result["pruned_venvs"] == [] and entries(venvs) == ["a"]


def test_settled_also_needs_the_live_venv_to_be_the_release_s(capsys, root):
    make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    run(capsys, **venv_arguments(root, "r1", state="live"))
    run(capsys, **venv_arguments(root, "r2", state="live"))
    looked = run(capsys, **venv_arguments(root, "r2"))
    assert looked["settled"] is True
    assert looked["venv"] == str(venvs / "b") and looked["was_venv"] == real(venvs / "b")

    os.unlink(str(root / "venv"))
    os.symlink(str(venvs / "a"), str(root / "venv"))
    looked = run(capsys, **venv_arguments(root, "r2"))
    assert looked["settled"] is False and looked["was_venv"] == real(venvs / "a")
    assert looked["changed"] is False and os.readlink(str(root / "venv")) == str(venvs / "a")
    # Without venv, only the release links count.
    assert run(capsys, **arguments(root, "r2"))["settled"] is True
    # And state=live agrees.
    assert run(capsys, check_mode=True, **venv_arguments(root, "r2", state="live"))["changed"] is True
    run(capsys, **venv_arguments(root, "r2", state="live"))
    assert run(capsys, **venv_arguments(root, "r2"))["settled"] is True


def test_settled_with_no_venv_link_yet_is_false_for_a_release_with_a_venv(capsys, root):
    releases = make_releases(root, ["r1"])
    give_venvs(root, {"r1": "a"})
    os.symlink(str(releases / "r1"), str(root / "current"))
    looked = run(capsys, **venv_arguments(root, "r1"))
    assert looked["settled"] is False and looked["was_venv"] == ""
    # The shared directory of before is no link either.
    shared_venv(root, stamped=True)
    assert run(capsys, **venv_arguments(root, "r1"))["settled"] is False


def test_the_shared_venv_directory_is_replaced_by_the_link_and_removed(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r2": "b"})
    os.symlink(str(releases / "r1"), str(root / "current"))
    shared = shared_venv(root, stamped=True)

    before = snapshot(root.parent)
    check = run(capsys, check_mode=True, **venv_arguments(root, "r2", state="live"))
    assert not check.get("failed"), check
    assert check["venv_switched"] is True and check["changed"] is True and check["was_venv"] == ""
    assert snapshot(root.parent) == before

    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert not result.get("failed"), result
    assert result["venv_switched"] is True and result["was_venv"] == ""
    assert shared.is_symlink() and os.readlink(str(shared)) == str(venvs / "b")
    # Removed, nothing left beside it.
    assert entries(root) == ["current", "previous", "releases", "venv", "venvs"]
    assert run(capsys, **venv_arguments(root, "r2"))["settled"] is True


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_venv_directory_flaskstack_did_not_make_is_refused_and_kept(capsys, root, check_mode):
    releases = make_releases(root, ["r1", "r2"])
    give_venvs(root, {"r2": "b"})
    os.symlink(str(releases / "r1"), str(root / "current"))
    taken = shared_venv(root, stamped=False)
    before = snapshot(taken)
    result = run(capsys, check_mode=check_mode, **venv_arguments(root, "r2", state="live"))
    assert result.get("failed") is True
    assert str(taken) in result["msg"] and "did not make" in result["msg"]
    assert taken.is_dir() and not taken.is_symlink()
    assert snapshot(taken) == before
    assert (taken / "precious.txt").read_text() == "someone's work\n"
    assert entries(root / "venvs") == ["b"]
    # Refused before anything changed: the code did not switch either.
    assert os.readlink(str(root / "current")) == str(releases / "r1")
    assert not os.path.lexists(str(root / "previous"))


def test_a_file_where_the_venv_link_goes_is_refused_and_kept(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    give_venvs(root, {"r2": "b"})
    os.symlink(str(releases / "r1"), str(root / "current"))
    (root / "venv").write_text("notes\n")
    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert result.get("failed") is True and "is a file" in result["msg"], result
    assert (root / "venv").read_text() == "notes\n"
    assert os.readlink(str(root / "current")) == str(releases / "r1")


def test_a_file_among_the_venvs_is_no_venv_and_is_left(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    (venvs / "stray.txt").write_text("x\n")
    os.symlink(str(releases / "r1"), str(root / "current"))
    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert not result.get("failed"), result
    assert result["pruned_venvs"] == []
    assert (venvs / "stray.txt").exists()


def test_a_venv_left_to_prune_unsettles_the_release_and_the_diff_shows_it(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "a"})
    os.symlink(str(releases / "r2"), str(root / "current"))
    os.symlink(str(releases / "r1"), str(root / "previous"))
    os.symlink(str(venvs / "a"), str(root / "venv"))
    look = run(capsys, **venv_arguments(root, "r2"))
    assert look["settled"], look
    (venvs / "d").mkdir()  # left by a build whose pip failed
    look = run(capsys, **venv_arguments(root, "r2"))
    assert not look["settled"], look
    live = run(capsys, diff=True, **venv_arguments(root, "r2", state="live"))
    assert live["changed"] and live["pruned_venvs"] == [str(venvs / "d")]
    assert "  d\n" in live["diff"]["before"] and "  d\n" not in live["diff"]["after"]
    assert "virtualenv: %s" % real(venvs / "a") in live["diff"]["after"]


def test_the_diff_names_the_virtualenv_it_switches_to(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    os.symlink(str(releases / "r2"), str(root / "current"))
    os.symlink(str(venvs / "a"), str(root / "venv"))
    live = run(capsys, diff=True, **venv_arguments(root, "r2", state="live"))
    assert live["venv_switched"] and live["changed"]
    assert "virtualenv: %s" % real(venvs / "a") in live["diff"]["before"]
    assert "virtualenv: %s" % real(venvs / "b") in live["diff"]["after"]


def test_venvs_no_release_links_to_are_pruned_with_the_releases(capsys, root):
    releases = make_releases(root, ["r1", "r2", "r3", "r4"])
    build = releases / ".build-r5"
    build.mkdir()
    # a: r1 and r2's, which go; b: the previous one's; c: the live one's; e: a build's.
    venvs = give_venvs(root, {"r1": "a", "r2": "a", "r3": "b", "r4": "c", ".build-r5": "e"})
    (venvs / "d").mkdir()  # no release links to it (a build that failed)
    (venvs / ".partial").mkdir()  # hidden: never pruned
    os.symlink(str(releases / "r3"), str(root / "current"))
    os.symlink(str(venvs / "b"), str(root / "venv"))

    before = snapshot(root.parent)
    check = run(capsys, check_mode=True, **venv_arguments(root, "r4", state="live", keep=2))
    assert not check.get("failed"), check
    assert check["pruned"] == [real(releases / "r2"), real(releases / "r1")]
    assert check["pruned_venvs"] == [str(venvs / "a"), str(venvs / "d")]
    assert check["changed"] is True
    assert snapshot(root.parent) == before

    result = run(capsys, **venv_arguments(root, "r4", state="live", keep=2))
    assert result["pruned_venvs"] == check["pruned_venvs"]
    assert entries(venvs) == [".partial", "b", "c", "e"]
    assert entries(releases) == [".build-r5", "r3", "r4"]
    assert os.readlink(str(root / "venv")) == str(venvs / "c")

    again = run(capsys, **venv_arguments(root, "r4", state="live", keep=2))
    assert again["changed"] is False and again["pruned_venvs"] == []


def test_the_live_venv_is_kept_while_it_is_live_though_no_release_links_to_it(capsys, root):
    # r1 and r2 are from before releases had virtualenvs of their own; r3 has one.
    releases = make_releases(root, ["r1", "r2", "r3"])
    venvs = give_venvs(root, {"r3": "h"})
    (venvs / "f").mkdir()
    (venvs / "g").mkdir()
    os.symlink(str(releases / "r1"), str(root / "current"))
    os.symlink(str(venvs / "f"), str(root / "venv"))
    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert not result.get("failed"), result
    assert result["venv_switched"] is False
    assert result["pruned_venvs"] == [str(venvs / "g")]
    assert entries(venvs) == ["f", "h"]

    # Once the live link leaves it, nothing holds it.
    result = run(capsys, **venv_arguments(root, "r3", state="live"))
    assert result["venv_switched"] is True and result["was_venv"] == real(venvs / "f")
    assert result["pruned_venvs"] == [str(venvs / "f")]
    assert entries(venvs) == ["h"]


def test_a_venv_pruned_alone_is_a_change(capsys, root):
    make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    run(capsys, **venv_arguments(root, "r1", state="live"))
    run(capsys, **venv_arguments(root, "r2", state="live"))
    (venvs / "d").mkdir()
    result = run(capsys, **venv_arguments(root, "r2", state="live"))
    assert result["switched"] is False and result["venv_switched"] is False and result["pruned"] == []
    assert result["pruned_venvs"] == [str(venvs / "d")] and result["changed"] is True
    assert entries(venvs) == ["a", "b"]


def test_without_venvs_dir_no_venv_is_pruned(capsys, root):
    make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r2": "b"})
    (venvs / "d").mkdir()
    result = run(capsys, **arguments(root, "r2", state="live", venv=str(root / "venv")))
    assert not result.get("failed"), result
    assert result["venv_switched"] is True and result["pruned_venvs"] == []
    assert entries(venvs) == ["b", "d"]


def test_rollback_to_the_previous_release_brings_back_its_venv(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    run(capsys, **venv_arguments(root, "r1", state="live"))
    run(capsys, **venv_arguments(root, "r2", state="live"))
    assert os.readlink(str(root / "venv")) == str(venvs / "b")

    previous = os.path.basename(os.readlink(str(root / "previous")))
    assert previous == "r1"
    rollback = run(capsys, **venv_arguments(root, previous, state="live"))
    assert not rollback.get("failed"), rollback
    assert rollback["switched"] is True and rollback["venv_switched"] is True
    assert rollback["was_live"] == real(releases / "r2") and rollback["was_venv"] == real(venvs / "b")
    assert os.readlink(str(root / "current")) == str(releases / "r1")
    assert os.readlink(str(root / "venv")) == str(venvs / "a")
    # The release rolled back from keeps its virtualenv, to go live again.
    assert real(root / "previous") == real(releases / "r2")
    assert rollback["pruned_venvs"] == [] and entries(venvs) == ["a", "b"]


def test_present_without_a_release_only_looks_at_the_links(capsys, root):
    releases = make_releases(root, ["r1", "r2"])
    venvs = give_venvs(root, {"r1": "a", "r2": "b"})
    os.symlink(str(releases / "r2"), str(root / "current"))
    os.symlink(str(releases / "r1"), str(root / "previous"))
    os.symlink(str(venvs / "b"), str(root / "venv"))
    args = venv_arguments(root, None, files=["app.py"])
    del args["release"]
    before = snapshot(root.parent)
    result = run(capsys, **args)
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["was_live"] == real(releases / "r2") and result["was_previous"] == real(releases / "r1")
    assert result["was_venv"] == real(venvs / "b")
    assert result["exists"] is False and result["settled"] is False
    assert result["venv"] == "" and result["found"] == []
    assert snapshot(root.parent) == before


@pytest.mark.parametrize("state", ["live", "staged"])
def test_live_and_staged_need_a_release(capsys, root, state):
    make_releases(root, ["r1"])
    args = arguments(root, None, state=state)
    del args["release"]
    before = snapshot(root.parent)
    result = run(capsys, **args)
    assert result.get("failed") is True and "missing: release" in result["msg"], result["msg"]
    assert snapshot(root.parent) == before


# complete_build: the switch renames a finished build to the release, in the
# same call (the app role leaves its own rename out when there is no release phase).
def make_build(root, release, venv=None):
    releases = make_releases(root, ["r1"])
    build = releases / (".build-" + release)
    build.mkdir()
    (build / "app.py").write_text("RELEASE = %r\n" % release)
    if venv:
        (root / "venvs" / venv).mkdir(parents=True)
        os.symlink(str(root / "venvs" / venv), str(build / VENV_LINK))
    os.symlink(str(releases / "r1"), str(root / "current"))
    return releases, build


def test_complete_build_renames_the_build_to_the_release_and_switches_to_it(capsys, root):
    releases, build = make_build(root, "r2", venv="b")
    result = run(capsys, diff=True, **venv_arguments(root, "r2", state="live", complete_build=True))
    assert result["completed"] is True and result["exists"] is True
    assert result["changed"] is True and result["switched"] is True and result["venv_switched"] is True
    assert not os.path.lexists(str(build))
    assert (releases / "r2" / "app.py").read_text() == "RELEASE = 'r2'\n"
    assert real(root / "current") == real(releases / "r2")
    assert real(root / "venv") == real(root / "venvs" / "b")
    assert "complete, renamed to" in result["diff"]["after"]

    again = run(capsys, **venv_arguments(root, "r2", state="live", complete_build=True))
    assert again["completed"] is False and again["changed"] is False


def test_complete_build_in_check_mode_renames_nothing_and_reports_the_switch(capsys, root):
    releases, build = make_build(root, "r2", venv="b")
    before = snapshot(root)
    result = run(capsys, check_mode=True, **venv_arguments(root, "r2", state="live", complete_build=True))
    assert result["completed"] is True and result["changed"] is True and result["switched"] is True
    # The build's virtualenv is the one the release would bring.
    assert result["venv"] == str(root / "venvs" / "b")
    assert snapshot(root) == before


def test_without_complete_build_a_build_is_not_a_release(capsys, root):
    releases, build = make_build(root, "r2")
    failed = run(capsys, **arguments(root, "r2", state="live"))
    assert failed.get("failed") is True and "does not exist" in failed["msg"]
    assert os.path.isdir(str(build)) and not os.path.lexists(str(releases / "r2"))
    assert real(root / "current") == real(releases / "r1")


def test_complete_build_leaves_an_existing_release_and_its_stale_build_alone(capsys, root):
    releases, build = make_build(root, "r1")
    result = run(capsys, **arguments(root, "r1", state="live", complete_build=True))
    assert result["completed"] is False and result["changed"] is False
    assert (releases / "r1" / "app.py").read_text() == "RELEASE = 'r1'\n"
    assert os.path.isdir(str(build))
