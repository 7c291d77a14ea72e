# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config_file module run in-process, as Ansible runs it, on real files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import json
import os
import stat
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskstack.deploy.plugins.modules import config_file

OLD = b"# a working config someone depends on\nlisten 80;\n"
NEW = "# the new config\nlisten 8080;\n"
OWNER = "root"
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(capsys, check_mode=False, diff=False, **args):
    """Run the module with these arguments; return its JSON result."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            config_file.main()
    out = capsys.readouterr().out
    return json.loads(out)


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def leftovers(directory, name):
    """Temporary files the module may have left beside the file called name."""
    return [entry for entry in os.listdir(str(directory)) if entry.startswith(".%s." % name)]


@pytest.fixture()
def old_file(tmp_path):
    path = tmp_path / "site.conf"
    path.write_bytes(OLD)
    os.chmod(str(path), 0o644)
    return path


# --- writing and idempotence ---------------------------------------------------------------------


@pytest.mark.parametrize("mode, expected", [("0644", 0o644), ("0600", 0o600)])
def test_new_file_is_written_exactly_then_is_idempotent(capsys, tmp_path, mode, expected):
    path = tmp_path / "site.conf"
    first = run(capsys, path=str(path), content=NEW, owner=OWNER, group=GROUP, mode=mode)
    assert not first.get("failed"), first
    assert first["changed"] is True
    assert first["path"] == str(path)
    assert path.read_bytes() == NEW.encode("utf-8")
    assert mode_of(path) == expected
    assert os.stat(str(path)).st_uid == 0
    assert os.stat(str(path)).st_gid == os.getgid()
    assert leftovers(tmp_path, "site.conf") == []

    before = os.stat(str(path))
    second = run(capsys, path=str(path), content=NEW, owner=OWNER, group=GROUP, mode=mode)
    assert not second.get("failed"), second
    assert second["changed"] is False
    after = os.stat(str(path))
    assert after.st_ino == before.st_ino
    assert after.st_mtime_ns == before.st_mtime_ns
    assert path.read_bytes() == NEW.encode("utf-8")
    assert mode_of(path) == expected


def test_dest_is_an_alias_of_path(capsys, tmp_path):
    path = tmp_path / "site.conf"
    result = run(capsys, dest=str(path), content=NEW)
    assert result["changed"] is True
    assert path.read_bytes() == NEW.encode("utf-8")


def test_changed_content_is_replaced_atomically(capsys, old_file):
    before = os.stat(str(old_file))
    result = run(capsys, path=str(old_file), content=NEW, owner=OWNER, group=GROUP, mode="0644")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert old_file.read_bytes() == NEW.encode("utf-8")
    # Renamed over the old file, not rewritten in place: a new inode.
    assert os.stat(str(old_file)).st_ino != before.st_ino
    assert mode_of(old_file) == 0o644
    assert sorted(os.listdir(str(old_file.parent))) == ["site.conf"]


def test_changed_content_keeps_the_old_mode_when_none_is_given(capsys, old_file):
    os.chmod(str(old_file), 0o640)
    result = run(capsys, path=str(old_file), content=NEW)
    assert result["changed"] is True
    assert old_file.read_bytes() == NEW.encode("utf-8")
    assert mode_of(old_file) == 0o640


def test_only_the_mode_differs(capsys, old_file):
    before = os.stat(str(old_file))
    result = run(capsys, path=str(old_file), content=OLD.decode("utf-8"), owner=OWNER, group=GROUP, mode="0600")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert mode_of(old_file) == 0o600
    assert old_file.read_bytes() == OLD
    after = os.stat(str(old_file))
    assert after.st_ino == before.st_ino
    assert after.st_mtime_ns == before.st_mtime_ns
    again = run(capsys, path=str(old_file), content=OLD.decode("utf-8"), owner=OWNER, group=GROUP, mode="0600")
    assert again["changed"] is False


# --- check mode ----------------------------------------------------------------------------------


def test_check_mode_new_file_is_reported_and_not_written(capsys, tmp_path):
    path = tmp_path / "site.conf"
    result = run(capsys, check_mode=True, path=str(path), content=NEW, owner=OWNER, group=GROUP, mode="0644")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert not path.exists()
    assert os.listdir(str(tmp_path)) == []


def test_check_mode_changed_file_keeps_old_content_and_mode(capsys, old_file):
    before = os.stat(str(old_file))
    result = run(capsys, check_mode=True, path=str(old_file), content=NEW, owner=OWNER, group=GROUP, mode="0600")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert old_file.read_bytes() == OLD
    assert mode_of(old_file) == 0o644
    after = os.stat(str(old_file))
    assert after.st_ino == before.st_ino
    assert after.st_mtime_ns == before.st_mtime_ns
    assert sorted(os.listdir(str(old_file.parent))) == ["site.conf"]


def test_check_mode_only_mode_differs_is_reported_and_not_applied(capsys, old_file):
    result = run(capsys, check_mode=True, path=str(old_file), content=OLD.decode("utf-8"), mode="0600")
    assert result["changed"] is True
    assert mode_of(old_file) == 0o644
    assert old_file.read_bytes() == OLD


def test_check_mode_unchanged_file_is_not_changed(capsys, old_file):
    result = run(capsys, check_mode=True, path=str(old_file), content=OLD.decode("utf-8"), mode="0644")
    assert result["changed"] is False


def test_check_mode_on_a_missing_directory_does_not_fail(capsys, tmp_path):
    path = tmp_path / "not-yet" / "site.conf"
    result = run(capsys, check_mode=True, path=str(path), content=NEW, owner=OWNER, group=GROUP, mode="0644")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert not (tmp_path / "not-yet").exists()


# --- diff mode -----------------------------------------------------------------------------------


def test_diff_of_a_new_file(capsys, tmp_path):
    path = tmp_path / "site.conf"
    result = run(capsys, diff=True, path=str(path), content=NEW)
    assert result["changed"] is True
    assert result["diff"]["before"] == ""
    assert result["diff"]["after"] == NEW


def test_diff_of_a_changed_file(capsys, old_file):
    result = run(capsys, diff=True, path=str(old_file), content=NEW)
    assert result["changed"] is True
    assert result["diff"]["before"] == OLD.decode("utf-8")
    assert result["diff"]["after"] == NEW


def test_diff_in_check_mode_matches_the_real_run(capsys, old_file):
    check = run(capsys, check_mode=True, diff=True, path=str(old_file), content=NEW)
    assert old_file.read_bytes() == OLD
    real = run(capsys, diff=True, path=str(old_file), content=NEW)
    assert check["diff"] == real["diff"]
    assert real["diff"]["after"] == old_file.read_text(encoding="utf-8")


def test_no_diff_when_unchanged(capsys, old_file):
    result = run(capsys, diff=True, path=str(old_file), content=OLD.decode("utf-8"), mode="0644")
    assert result["changed"] is False
    assert "diff" not in result


# --- validate ------------------------------------------------------------------------------------


def test_validate_that_passes_lets_the_file_be_written(capsys, old_file):
    result = run(capsys, path=str(old_file), content=NEW, validate="/bin/true %s")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert old_file.read_bytes() == NEW.encode("utf-8")
    assert sorted(os.listdir(str(old_file.parent))) == ["site.conf"]


def test_validate_with_a_python_check_of_the_content(capsys, tmp_path):
    path = tmp_path / "site.conf"
    check = ("%s -c \"import sys; sys.exit(0 if open(sys.argv[1], 'rb').read() == b'listen 8080;\\n' else 3)\" %%s"
             % sys.executable)
    result = run(capsys, path=str(path), content="listen 8080;\n", validate=check)
    assert not result.get("failed"), result
    assert path.read_bytes() == b"listen 8080;\n"
    refused = run(capsys, path=str(path), content="listen 9090;\n", validate=check)
    assert refused["failed"] is True
    assert refused["rc"] == 3
    assert path.read_bytes() == b"listen 8080;\n"


@pytest.mark.parametrize("validate", ["/bin/false %s", "grep -q NEWMARK %s"])
def test_validate_that_fails_leaves_the_old_file(capsys, old_file, validate):
    before = os.stat(str(old_file))
    result = run(capsys, path=str(old_file), content=NEW, validate=validate)
    assert result["failed"] is True
    assert str(old_file) in result["msg"]
    assert "unchanged" in result["msg"]
    assert result["rc"] != 0
    assert old_file.read_bytes() == OLD
    after = os.stat(str(old_file))
    assert after.st_ino == before.st_ino
    assert after.st_mtime_ns == before.st_mtime_ns
    assert sorted(os.listdir(str(old_file.parent))) == ["site.conf"]


def test_validate_that_fails_on_a_new_file_leaves_nothing(capsys, tmp_path):
    path = tmp_path / "site.conf"
    result = run(capsys, path=str(path), content=NEW, validate="/bin/false %s")
    assert result["failed"] is True
    assert str(path) in result["msg"]
    assert not path.exists()
    assert os.listdir(str(tmp_path)) == []


def test_validate_sees_the_new_content_beside_the_old_file(capsys, old_file, tmp_path_factory):
    record_dir = tmp_path_factory.mktemp("record")
    record = record_dir / "seen.json"
    script = record_dir / "check.py"
    script.write_text(
        "import json, sys\n"
        "with open(sys.argv[1], 'rb') as handle:\n"
        "    data = handle.read()\n"
        "with open(%r, 'w') as out:\n"
        "    json.dump({'path': sys.argv[1], 'content': data.decode('utf-8')}, out)\n"
        "sys.exit(0 if b'NEWMARK' in data else 1)\n" % str(record)
    )
    content = "server { # NEWMARK\n}\n"
    result = run(capsys, path=str(old_file), content=content, validate="%s %s %%s" % (sys.executable, script))
    assert not result.get("failed"), result
    seen = json.loads(record.read_text())
    assert seen["content"] == content
    assert seen["path"] != str(old_file)
    assert os.path.dirname(seen["path"]) == str(old_file.parent)
    assert os.path.basename(seen["path"]).startswith(".site.conf.")
    assert old_file.read_bytes() == content.encode("utf-8")
    assert not os.path.exists(seen["path"])


def test_validate_grep_for_a_marker_in_the_new_content(capsys, old_file):
    result = run(capsys, path=str(old_file), content="# NEWMARK\n" + NEW, validate="grep -q NEWMARK %s")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert old_file.read_bytes() == ("# NEWMARK\n" + NEW).encode("utf-8")


def test_validate_without_placeholder_is_refused(capsys, old_file):
    result = run(capsys, path=str(old_file), content=NEW, validate="/bin/true")
    assert result["failed"] is True
    assert "validate must hold %s" in result["msg"]
    assert old_file.read_bytes() == OLD
    assert sorted(os.listdir(str(old_file.parent))) == ["site.conf"]


def test_validate_is_not_run_in_check_mode(capsys, old_file):
    result = run(capsys, check_mode=True, path=str(old_file), content=NEW, validate="/bin/false %s")
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert old_file.read_bytes() == OLD


# --- bad paths -----------------------------------------------------------------------------------


def test_missing_directory_fails_naming_it(capsys, tmp_path):
    missing = tmp_path / "nope"
    result = run(capsys, path=str(missing / "site.conf"), content=NEW)
    assert result["failed"] is True
    assert str(missing) in result["msg"]
    assert "does not exist" in result["msg"]
    assert not missing.exists()


def test_path_that_is_a_directory_fails(capsys, tmp_path):
    directory = tmp_path / "site.conf"
    directory.mkdir()
    result = run(capsys, path=str(directory), content=NEW)
    assert result["failed"] is True
    assert str(directory) in result["msg"]
    assert "is a directory" in result["msg"]
    assert directory.is_dir()
    assert os.listdir(str(directory)) == []
    assert os.listdir(str(tmp_path)) == ["site.conf"]


def test_path_that_is_a_directory_fails_in_check_mode(capsys, tmp_path):
    directory = tmp_path / "site.conf"
    directory.mkdir()
    result = run(capsys, check_mode=True, path=str(directory), content=NEW)
    assert result["failed"] is True
    assert "is a directory" in result["msg"]


# --- content fidelity ----------------------------------------------------------------------------


def test_non_ascii_content_round_trips_byte_for_byte(capsys, tmp_path):
    path = tmp_path / "site.conf"
    content = u"# caf\u00e9 \u2014 \u65e5\u672c\u8a9e \U0001F600\nserver_name bücher.example;\n"
    result = run(capsys, diff=True, path=str(path), content=content)
    assert result["changed"] is True
    assert path.read_bytes() == content.encode("utf-8")
    assert result["diff"]["after"] == content
    again = run(capsys, path=str(path), content=content)
    assert again["changed"] is False


def test_content_without_trailing_newline_stays_without(capsys, tmp_path):
    path = tmp_path / "site.conf"
    result = run(capsys, path=str(path), content="no newline at the end")
    assert result["changed"] is True
    assert path.read_bytes() == b"no newline at the end"
    again = run(capsys, path=str(path), content="no newline at the end")
    assert again["changed"] is False
    added = run(capsys, path=str(path), content="no newline at the end\n")
    assert added["changed"] is True
    assert path.read_bytes() == b"no newline at the end\n"


def test_empty_content_makes_an_empty_file(capsys, old_file):
    result = run(capsys, path=str(old_file), content="")
    assert result["changed"] is True
    assert old_file.read_bytes() == b""


def test_the_invocation_gives_the_size_not_the_content(capsys, tmp_path):
    secret = "index-url = https://deploy:s3cr3t@pypi.example.com/simple\n"
    result = run(capsys, path=str(tmp_path / "pip.conf"), content=secret)
    assert result["invocation"]["module_args"]["content"] == "(%d bytes, not shown)" % len(secret)
    assert "s3cr3t" not in json.dumps(result)
    assert (tmp_path / "pip.conf").read_text() == secret


# --- directories made sure of in the same call ---------------------------------------------------


def dirs(tmp_path):
    parent, child = tmp_path / "etc-flaskstack", tmp_path / "etc-flaskstack" / "shop"
    return parent, child, [dict(path=str(parent), owner=OWNER, group=OWNER, mode="0755"),
                           dict(path=str(child), owner=OWNER, group=GROUP, mode="0750")]


def test_directories_are_created_in_order_with_their_modes_then_idempotent(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    args = dict(path=str(child / "app.conf"), content=NEW, mode="0640", directories=directories)
    first = run(capsys, **args)
    assert first["changed"] is True, first
    assert mode_of(parent) == 0o755 and mode_of(child) == 0o750
    assert os.stat(str(child)).st_gid == os.getgid()
    assert (child / "app.conf").read_text() == NEW
    assert run(capsys, **args)["changed"] is False


def test_a_directory_with_a_wrong_mode_is_fixed_and_reported(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    child.mkdir(parents=True)
    (child / "app.conf").write_text(NEW)
    os.chmod(str(parent), 0o755)
    os.chmod(str(child), 0o777)
    result = run(capsys, diff=True, path=str(child / "app.conf"), content=NEW, directories=directories)
    assert result["changed"] is True
    assert mode_of(child) == 0o750
    assert result["diff"]["before"]["mode"] == "0777" and result["diff"]["after"]["mode"] == "0750"


def test_if_missing_leaves_an_existing_directory_as_it_is(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    child.mkdir(parents=True)
    os.chmod(str(parent), 0o711)
    os.chmod(str(child), 0o750)
    directories[0]["if_missing"] = True
    result = run(capsys, path=str(child / "app.conf"), content=NEW, directories=directories)
    assert mode_of(parent) == 0o711
    assert result["changed"] is True  # the file only
    assert run(capsys, path=str(child / "app.conf"), content=NEW, directories=directories)["changed"] is False


def test_if_missing_gives_a_created_directory_its_mode(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    directories[0]["if_missing"] = True
    run(capsys, path=str(child / "app.conf"), content=NEW, directories=directories)
    assert mode_of(parent) == 0o755


def test_check_mode_with_missing_directories_creates_nothing_and_reports_each(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    result = run(capsys, check_mode=True, diff=True, path=str(child / "app.conf"), content=NEW,
                 directories=directories)
    assert result["changed"] is True
    assert not parent.exists()
    assert [entry["after_header"] for entry in result["diff"]] == [str(parent), str(child), str(child / "app.conf")]
    assert result["diff"][0]["before"]["state"] == "absent" and result["diff"][0]["after"]["state"] == "directory"


def test_a_file_in_place_of_a_directory_is_refused_and_kept(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    parent.write_text("not a directory\n")
    result = run(capsys, path=str(child / "app.conf"), content=NEW, directories=directories)
    assert result["failed"] and "exists and is not a directory" in result["msg"]
    assert parent.read_text() == "not a directory\n"


def test_missing_parents_are_made_as_mkdir_p_makes_them(capsys, tmp_path):
    missing = tmp_path / "run" / "flaskstack" / "shop"
    run(capsys, path=str(tmp_path / "app.conf"), content=NEW, directories=[dict(path=str(missing), mode="0750")])
    assert mode_of(missing) == 0o750
    assert mode_of(missing.parent) == 0o777 & ~current_umask()


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_directory_that_cannot_be_made_fails_naming_it(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    missing = tmp_path / "file" / "shop"
    result = run(capsys, path=str(missing / "app.conf"), content=NEW, directories=[dict(path=str(missing))])
    assert result["failed"] and str(missing) in result["msg"] and "cannot be created" in result["msg"]


def test_a_relative_directory_is_refused(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "app.conf"), content=NEW, directories=[dict(path="etc/x")])
    assert result["failed"] and "must be an absolute path" in result["msg"]


# --- links to the file made in the same call -----------------------------------------------------


def test_links_are_made_after_the_file_then_idempotent(capsys, tmp_path):
    available, enabled = tmp_path / "sites-available", tmp_path / "sites-enabled"
    available.mkdir()
    enabled.mkdir()
    args = dict(path=str(available / "shop.conf"), content=NEW, links=[str(enabled / "shop.conf")])
    first = run(capsys, diff=True, **args)
    assert first["changed"] is True
    assert os.readlink(str(enabled / "shop.conf")) == str(available / "shop.conf")
    assert first["diff"][1]["after"]["src"] == str(available / "shop.conf")
    assert sorted(os.listdir(str(enabled))) == ["shop.conf"]
    assert run(capsys, **args)["changed"] is False


def test_a_link_pointing_elsewhere_is_replaced_and_reported(capsys, tmp_path):
    (tmp_path / "shop.conf").write_text(NEW)
    link = tmp_path / "enabled.conf"
    os.symlink(str(tmp_path / "old.conf"), str(link))
    result = run(capsys, path=str(tmp_path / "shop.conf"), content=NEW, links=[str(link)])
    assert result["changed"] is True
    assert os.readlink(str(link)) == str(tmp_path / "shop.conf")


def test_check_mode_reports_a_missing_link_and_makes_none(capsys, tmp_path):
    (tmp_path / "shop.conf").write_text(NEW)
    link = tmp_path / "enabled.conf"
    result = run(capsys, check_mode=True, path=str(tmp_path / "shop.conf"), content=NEW, links=[str(link)])
    assert result["changed"] is True
    assert not os.path.lexists(str(link))


def test_a_file_in_a_link_s_place_is_refused_and_kept(capsys, tmp_path):
    link = tmp_path / "enabled.conf"
    link.write_text("someone's copy\n")
    result = run(capsys, path=str(tmp_path / "shop.conf"), content=NEW, links=[str(link)])
    assert result["failed"] and "is not a symbolic link" in result["msg"]
    assert link.read_text() == "someone's copy\n"
    assert not (tmp_path / "shop.conf").exists()


def test_a_content_that_fails_validation_is_not_linked(capsys, tmp_path):
    link = tmp_path / "enabled.conf"
    result = run(capsys, path=str(tmp_path / "shop.conf"), content=NEW, validate="false %s", links=[str(link)])
    assert result["failed"]
    assert not os.path.lexists(str(link))


# --- hidden content ------------------------------------------------------------------------------


def test_hidden_content_shows_names_and_never_a_value_old_or_new(capsys, tmp_path):
    path = tmp_path / "environment"
    path.write_text("# the app's\nSECRET_KEY=old-s3cret-1\nGREETING=hello\n")
    result = run(capsys, diff=True, path=str(path), content="SECRET_KEY=new-s3cret-2\nGREETING=hello\nplain line\n",
                 hide_content=True, mode="0640")
    assert result["changed"] is True
    shown = json.dumps(result)
    for value in ("old-s3cret-1", "new-s3cret-2", "hello", "plain line"):
        assert value not in shown
    assert result["diff"]["before"] == "# the app's\nSECRET_KEY=********  (old value)\nGREETING=********\n"
    assert result["diff"]["after"] == "SECRET_KEY=********  (new value)\nGREETING=********\n********  (new value)\n"
    assert path.read_text() == "SECRET_KEY=new-s3cret-2\nGREETING=hello\nplain line\n"


def test_hidden_content_that_fails_validation_is_not_shown_either(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "settings.py"), content="SECRET = 'n0t-for-eyes'\n",
                 hide_content=True, validate="cat %s /nonexistent")
    assert result["failed"]
    assert "n0t-for-eyes" not in json.dumps(result)


def test_directories_changed_names_what_changed(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    first = run(capsys, path=str(child / "app.conf"), content=NEW, directories=directories)
    assert first["directories_changed"] == [str(parent), str(child)]
    os.chmod(str(child), 0o700)
    again = run(capsys, path=str(child / "app.conf"), content=NEW, directories=directories)
    assert again["directories_changed"] == [str(child)] and again["changed"] is True


# --- previous: the old content kept for the caller to put back -------------------------------------


def test_previous_keeps_the_old_content_root_only_when_the_file_changes(capsys, old_file, tmp_path):
    previous = tmp_path / "site.conf.previous"
    result = run(capsys, path=str(old_file), content=NEW, previous=str(previous))
    assert result["changed"] is True and result["previous"] is True
    assert old_file.read_text() == NEW
    assert previous.read_bytes() == OLD
    assert mode_of(previous) == 0o600
    # Unchanged: the kept content stays as it was.
    again = run(capsys, path=str(old_file), content=NEW, previous=str(previous))
    assert again["changed"] is False and again["previous"] is False
    assert previous.read_bytes() == OLD
    assert leftovers(tmp_path, "site.conf.previous") == []


def test_previous_is_not_kept_for_a_new_file_a_refused_content_or_in_check_mode(capsys, old_file, tmp_path):
    previous = tmp_path / "kept"
    new = tmp_path / "new.conf"
    assert run(capsys, path=str(new), content=NEW, previous=str(previous))["previous"] is False
    refused = run(capsys, path=str(old_file), content=NEW, previous=str(previous), validate="/bin/false %s")
    assert refused["failed"] is True
    checked = run(capsys, check_mode=True, path=str(old_file), content=NEW, previous=str(previous))
    assert checked["changed"] is True and checked["previous"] is False
    assert not previous.exists()
    assert old_file.read_bytes() == OLD


# --- files: more files in the same call ----------------------------------------------------------


def more(tmp_path, **extra):
    """Two more files beside the main one: a command (0755) and a secret settings file (0640)."""
    files = [dict(path=str(tmp_path / "command"), content="#!/bin/sh\necho hi\n", mode="0755", owner=OWNER, group=GROUP),
             dict(path=str(tmp_path / "settings.cfg"), content="TOKEN = 's3cret-more'\n", mode="0640",
                  hide_content=True)]
    for item in files:
        item.update(extra)
    return files


def test_more_files_are_written_with_their_modes_named_then_idempotent(capsys, tmp_path):
    main = tmp_path / "environment"
    first = run(capsys, path=str(main), content=NEW, mode="0640", files=more(tmp_path))
    assert first["changed"] is True
    assert first["changed_files"] == [str(main), str(tmp_path / "command"), str(tmp_path / "settings.cfg")]
    assert (tmp_path / "command").read_text() == "#!/bin/sh\necho hi\n" and mode_of(tmp_path / "command") == 0o755
    assert (tmp_path / "settings.cfg").read_text() == "TOKEN = 's3cret-more'\n"
    assert mode_of(tmp_path / "settings.cfg") == 0o640
    again = run(capsys, path=str(main), content=NEW, mode="0640", files=more(tmp_path))
    assert again["changed"] is False and again["changed_files"] == []
    assert leftovers(tmp_path, "command") == [] and leftovers(tmp_path, "settings.cfg") == []


def test_only_the_file_that_changed_is_named(capsys, tmp_path):
    main = tmp_path / "environment"
    run(capsys, path=str(main), content=NEW, files=more(tmp_path))
    os.chmod(str(tmp_path / "command"), 0o700)
    result = run(capsys, path=str(main), content=NEW, files=more(tmp_path))
    assert result["changed"] is True and result["changed_files"] == [str(tmp_path / "command")]
    assert mode_of(tmp_path / "command") == 0o755
    files = more(tmp_path)
    files[1]["content"] = "TOKEN = 'n3w'\n"
    result = run(capsys, path=str(main), content=NEW, files=files)
    assert result["changed_files"] == [str(tmp_path / "settings.cfg")]


def test_check_mode_names_more_files_and_writes_none(capsys, tmp_path):
    result = run(capsys, check_mode=True, diff=True, path=str(tmp_path / "environment"), content=NEW,
                 files=more(tmp_path))
    assert result["changed"] is True and len(result["changed_files"]) == 3
    assert sorted(os.listdir(str(tmp_path))) == []
    assert [diff["after_header"] for diff in result["diff"]] == [
        str(tmp_path / "environment"), str(tmp_path / "command"), str(tmp_path / "settings.cfg")]


def test_a_main_content_that_fails_validation_leaves_more_files_unwritten(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "site.conf"), content=NEW, validate="false %s", files=more(tmp_path))
    assert result["failed"]
    assert not (tmp_path / "command").exists() and not (tmp_path / "settings.cfg").exists()


def test_a_hidden_more_file_shows_no_value_and_the_invocation_only_sizes(capsys, tmp_path):
    (tmp_path / "settings.cfg").write_text("TOKEN = 'old-s3cret'\n")
    result = run(capsys, diff=True, path=str(tmp_path / "environment"), content=NEW, files=more(tmp_path))
    shown = json.dumps(result)
    assert "s3cret-more" not in shown and "old-s3cret" not in shown
    assert "echo hi" in shown  # the command is not hidden: its diff shows it
    contents = [item["content"] for item in result["invocation"]["module_args"]["files"]]
    assert contents == ["(18 bytes, not shown)", "(22 bytes, not shown)"]


def test_more_files_go_into_directories_made_in_the_same_call(capsys, tmp_path):
    parent, child, directories = dirs(tmp_path)
    result = run(capsys, path=str(child / "environment"), content=NEW, directories=directories,
                 files=[dict(path=str(child / "settings.cfg"), content="A = 1\n", mode="0640")])
    assert result["changed"] is True and (child / "settings.cfg").read_text() == "A = 1\n"


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_more_file_that_is_a_directory_fails_naming_it_and_writes_nothing(capsys, tmp_path, check_mode):
    (tmp_path / "conf.d").mkdir()
    result = run(capsys, check_mode=check_mode, path=str(tmp_path / "environment"), content=NEW,
                 files=[dict(path=str(tmp_path / "conf.d"), content="A = 1\n")])
    assert result["failed"] and result["msg"] == "files: %s is a directory" % (tmp_path / "conf.d")
    assert not (tmp_path / "environment").exists()


def test_a_more_file_whose_directory_is_missing_fails_before_anything_is_written(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path / "environment"), content=NEW,
                 files=[dict(path=str(tmp_path / "missing" / "settings.cfg"), content="A = 1\n")])
    assert result["failed"] and "files: the directory %s does not exist" % (tmp_path / "missing") == result["msg"]
    assert not (tmp_path / "environment").exists()


@pytest.mark.parametrize("failure", ["validate", "directory", "group"])
def test_a_failed_call_shows_no_content_of_any_file(capsys, tmp_path, failure):
    """Each content is masked before anything can fail, not when its file is reached."""
    files = more(tmp_path)
    args = dict(path=str(tmp_path / "environment"), content="SECRET_KEY=main-s3cret\n", hide_content=True, files=files)
    if failure == "validate":
        args["validate"] = "false %s"
    elif failure == "directory":
        files.append(dict(path=str(tmp_path / "missing" / "x.cfg"), content="OTHER = 'x-s3cret'\n"))
    else:
        files[1]["group"] = "flaskstack-no-such-group"
    result = run(capsys, **args)
    assert result["failed"]
    shown = json.dumps(result)
    for secret in ("main-s3cret", "s3cret-more", "x-s3cret", "echo hi"):
        assert secret not in shown, (failure, secret, shown[:2000])
