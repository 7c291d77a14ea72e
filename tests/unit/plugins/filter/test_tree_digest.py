# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local directory's release name: the same files give the same name, any other file another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.flaskstack.deploy.plugins.filter.tree_digest import FilterModule

tree_digest = FilterModule().filters()["tree_digest"]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def code(tmp_path):
    write(tmp_path / "code" / "app.py", "app = 1\n")
    write(tmp_path / "code" / "requirements.txt", "Flask\n")
    return tmp_path / "code"


def test_digest_is_the_sorted_paths_and_checksums(code):
    entries = ["%s %s" % (name, hashlib.sha1((code / name).read_bytes()).hexdigest())
               for name in ("app.py", "requirements.txt")]
    assert tree_digest(str(code)) == hashlib.sha1("\\n".join(entries).encode()).hexdigest()


def test_same_files_elsewhere_and_later_give_the_same_digest(code, tmp_path):
    before = tree_digest(str(code))
    other = tmp_path / "other"
    write(other / "requirements.txt", "Flask\n")
    write(other / "app.py", "app = 1\n")
    os.utime(str(other / "app.py"), (0, 0))
    assert tree_digest(str(other)) == before
    assert tree_digest(str(code) + "/") == before


@pytest.mark.parametrize("change", [
    lambda code: write(code / "app.py", "app = 2\n"),
    lambda code: write(code / ".env.example", "X=1\n"),
    lambda code: write(code / "pkg" / "views.py", ""),
    lambda code: (code / "app.py").rename(code / "main.py"),
])
def test_any_change_of_the_files_changes_the_digest(code, change):
    before = tree_digest(str(code))
    change(code)
    assert tree_digest(str(code)) != before


def test_byte_code_and_links_are_left_out(code, tmp_path):
    before = tree_digest(str(code))
    write(code / "__pycache__" / "app.cpython-311.pyc", "\0")
    write(code / "old.pyc", "\0")
    os.symlink(str(code / "app.py"), str(code / "link.py"))
    write(tmp_path / "elsewhere" / "big.py", "x = 1\n")
    os.symlink(str(tmp_path / "elsewhere"), str(code / "vendor"))
    assert tree_digest(str(code)) == before


def test_a_missing_directory_is_an_error_naming_it(tmp_path):
    with pytest.raises(AnsibleFilterError, match="nowhere is not a directory"):
        tree_digest(str(tmp_path / "nowhere"))
