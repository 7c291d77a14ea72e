# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release action's archive of the controller's code, unpacked by the module
as a deploy does: the release holds the files its name is made of."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import stat
import tarfile

from ansible_collections.flaskstack.deploy.plugins.action.release import pack
from ansible_collections.flaskstack.deploy.plugins.filter.tree_digest import tree_digest
from ansible_collections.flaskstack.deploy.plugins.modules.release import extract


def make_code(path):
    (path / "pkg" / "__pycache__").mkdir(parents=True)
    (path / "app.py").write_text("from pkg import views\n")
    (path / ".env.example").write_text("GREETING=hi\n")
    (path / "pkg" / "__init__.py").write_text("")
    (path / "pkg" / "views.py").write_text("VIEW = 1\n")
    (path / "pkg" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\x00bytecode")
    (path / "manage.sh").write_text("#!/bin/sh\n")
    os.chmod(str(path / "manage.sh"), 0o755)
    os.symlink("pkg/views.py", str(path / "views.py"))
    os.mkfifo(str(path / "control.fifo"))
    return path


def tree(path):
    found = {}
    for dirpath, dirnames, filenames in os.walk(str(path)):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            relative = os.path.relpath(full, str(path))
            if os.path.islink(full):
                found[relative] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                found[relative] = ("dir", stat.S_IMODE(os.stat(full).st_mode))
            else:
                with open(full, "rb") as handle:
                    found[relative] = ("file", stat.S_IMODE(os.stat(full).st_mode), handle.read())
    return found


def test_pack_holds_the_files_tree_digest_names_links_as_links_and_no_bytecode(tmp_path):
    code = make_code(tmp_path / "code")
    archive = str(tmp_path / "code.tar.gz")
    assert pack(str(code), archive) == 6
    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
    assert sorted(members) == [".env.example", "app.py", "manage.sh", "pkg", "pkg/__init__.py",
                               "pkg/__pycache__", "pkg/views.py", "views.py"]
    assert members["views.py"].issym() and members["views.py"].linkname == "pkg/views.py"
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "root", "root")}


def test_pack_is_the_same_archive_for_the_same_files(tmp_path):
    code = make_code(tmp_path / "code")
    pack(str(code), str(tmp_path / "one.tar.gz"))
    pack(str(code), str(tmp_path / "two.tar.gz"))
    with tarfile.open(str(tmp_path / "one.tar.gz")) as one, tarfile.open(str(tmp_path / "two.tar.gz")) as two:
        assert [m.get_info() for m in one.getmembers()] == [m.get_info() for m in two.getmembers()]


def test_packed_then_staged_the_release_is_the_code_with_the_deploy_s_modes(tmp_path):
    code = make_code(tmp_path / "code")
    archive = str(tmp_path / "code.tar.gz")
    pack(str(code), archive)
    build = tmp_path / "build"
    build.mkdir()
    gid = os.getgid()
    assert extract(archive, str(build), gid) == 6
    assert tree(build) == {
        ".env.example": ("file", 0o640, b"GREETING=hi\n"),
        "app.py": ("file", 0o640, b"from pkg import views\n"),
        "manage.sh": ("file", 0o750, b"#!/bin/sh\n"),
        "pkg": ("dir", 0o750),
        "pkg/__init__.py": ("file", 0o640, b""),
        "pkg/__pycache__": ("dir", 0o750),
        "pkg/views.py": ("file", 0o640, b"VIEW = 1\n"),
        "views.py": ("link", "pkg/views.py"),
    }
    # The release's name is made of the same files.
    os.remove(str(code / "control.fifo"))
    for name in ["pkg/__pycache__/views.cpython-311.pyc"]:
        os.remove(str(code / name))
    assert tree_digest(str(build)) == tree_digest(str(code))
    assert grp.getgrgid(os.stat(str(build / "app.py")).st_gid).gr_gid == gid
