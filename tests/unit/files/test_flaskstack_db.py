"""flaskstack-db (roles/postgresql/files/flaskstack-db.py), run in-process against a fake
PostgreSQL: what pg_dump, psql and pg_restore are asked and given, where the backups land, which
ones are pruned, and that a restore backs up first, reads the whole file and refuses what is no
backup. The real tools run in the Debian 13 scenario (test_real_app.py)."""

import importlib.util
import io
import os
import subprocess

import pytest

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles", "postgresql", "files",
                    "flaskstack-db.py")
DUMP = b"PGDMP" + b"\x01" * 20000  # longer than a read buffer: a restore must send it whole


class FakePostgres:
    """Plays pg_dump, psql and pg_restore for the module's `run`."""

    def __init__(self, owner="shop", dump_rc=0, restore_rc=0):
        self.owner, self.dump_rc, self.restore_rc = owner, dump_rc, restore_rc
        self.calls, self.restored = [], []

    def __call__(self, argv, stdout=None, stderr=None, stdin=None, check=False):
        tool = next(part for part in argv if part in ("pg_dump", "psql", "pg_restore") or part.startswith("/"))
        self.calls.append(argv)
        if tool == "pg_dump":
            if self.dump_rc == 0:
                stdout.write(DUMP)
            return subprocess.CompletedProcess(argv, self.dump_rc, None, b"pg_dump: error: no such database")
        if tool == "psql":
            return subprocess.CompletedProcess(argv, 0, (self.owner + "\n").encode(), b"")
        if tool == "pg_restore":
            self.restored.append(os.read(stdin.fileno(), len(DUMP) + 10))
            return subprocess.CompletedProcess(argv, self.restore_rc, b"", b"pg_restore: error: boom")
        return subprocess.CompletedProcess(argv, 0, b"shipped", None)


@pytest.fixture()
def db(tmp_path):
    spec = importlib.util.spec_from_file_location("flaskstack_db", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.config = {"dir": str(tmp_path / "backups"), "keep": 3, "port": 5433, "ship": "", "databases": ["shop"]}
    return module


def names(path):
    return sorted(os.listdir(str(path)))


def test_a_backup_is_a_whole_dump_in_the_databases_directory_root_only(db, tmp_path):
    fake, out = FakePostgres(), io.StringIO()
    assert db.backup(db.config, [], out=out, run=fake) == 0
    (path,) = out.getvalue().split()
    assert os.path.dirname(path) == str(tmp_path / "backups" / "shop")
    assert db.re.match(db.BACKUP % "shop", os.path.basename(path))
    assert open(path, "rb").read() == DUMP
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert names(tmp_path / "backups" / "shop") == [os.path.basename(path)]
    argv = fake.calls[0]
    assert argv[argv.index("pg_dump"):] == ["pg_dump", "--format=custom", "--port", "5433", "shop"]


def test_a_failed_dump_leaves_no_file_and_the_others_are_still_backed_up(db, tmp_path):
    failing, out, err = FakePostgres(dump_rc=1), io.StringIO(), io.StringIO()
    assert db.backup(db.config, ["gone", "shop"], out=out, err=err, run=failing) == 1
    assert "pg_dump of gone failed: pg_dump: error: no such database" in err.getvalue()
    assert names(tmp_path / "backups" / "gone") == []
    assert out.getvalue() == ""
    assert db.backup(db.config, ["gone", "shop"], out=out, err=io.StringIO(),
                     run=lambda argv, **kw: (FakePostgres(dump_rc=1) if "gone" in argv else FakePostgres())(argv, **kw)
                     ) == 1
    assert len(out.getvalue().split()) == 1 and "/shop/" in out.getvalue()


def test_only_the_newest_backups_are_kept(db, tmp_path):
    directory = tmp_path / "backups" / "shop"
    directory.mkdir(parents=True)
    old = ["shop-2026010%dT000000Z.dump" % day for day in range(1, 6)]
    others = ["shop-20260101T000000Z.before-restore.dump", "notes.txt", "shopping-20260101T000000Z.dump"]
    for name in old + others:
        (directory / name).write_bytes(b"PGDMP")
    deleted = db.prune(db.config, "shop")
    assert [os.path.basename(path) for path in deleted] == old[:2]
    assert names(directory) == sorted(old[2:] + others)


def test_the_ship_command_gets_the_new_file_and_its_failure_keeps_the_backup(db):
    db.config["ship"] = "rclone copy --immutable"
    shipped = []

    def run(argv, **kwargs):
        if argv[0] == "rclone":
            shipped.append(argv)
            return subprocess.CompletedProcess(argv, 3, b"no remote named", None)
        return FakePostgres()(argv, **kwargs)

    out, err = io.StringIO(), io.StringIO()
    assert db.backup(db.config, [], out=out, err=err, run=run) == 1
    (path,) = out.getvalue().split()
    assert shipped == [["rclone", "copy", "--immutable", path]]
    assert "the ship command (rclone ...) failed with exit code 3 (the backup is kept at %s): no remote named" % path \
        in err.getvalue()
    assert "--immutable" not in err.getvalue()
    assert os.path.exists(path)


def test_a_restore_backs_up_first_then_sends_the_whole_file_as_the_owner(db, tmp_path):
    source = tmp_path / "nightly.dump"
    source.write_bytes(DUMP)
    fake, out = FakePostgres(owner="shop_owner"), io.StringIO()
    assert db.restore(db.config, "shop", str(source), out=out, run=fake) == 0
    tools = [next(part for part in argv if part in ("pg_dump", "psql", "pg_restore")) for argv in fake.calls]
    assert tools == ["psql", "pg_dump", "pg_restore"]
    assert fake.restored == [DUMP]
    restore = fake.calls[2][fake.calls[2].index("pg_restore"):]
    assert restore == ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-owner",
                       "--role", "shop_owner", "--port", "5433", "--dbname", "shop"]
    (kept,) = names(tmp_path / "backups" / "shop")
    assert kept.endswith(".before-restore.dump") and "backed up at" in out.getvalue()
    # Kept apart: no backup count prunes it, and list does not show it.
    assert db.backups(db.config, "shop") == []


@pytest.mark.parametrize("content, message", [
    (b"SQLite format 3\x00", "is not a backup of pg_dump's custom format"),
    (None, "cannot read"),
])
def test_a_restore_refuses_what_is_no_backup_before_it_runs_anything(db, tmp_path, content, message):
    source = tmp_path / "file"
    if content is not None:
        source.write_bytes(content)
    fake = FakePostgres()
    with pytest.raises(db.Failure, match=message):
        db.restore(db.config, "shop", str(source), out=io.StringIO(), run=fake)
    assert fake.calls == []


def test_a_restore_into_a_database_that_is_not_there_changes_nothing(db, tmp_path):
    source = tmp_path / "nightly.dump"
    source.write_bytes(DUMP)
    fake = FakePostgres(owner="")
    with pytest.raises(db.Failure, match="database shop is not on this server"):
        db.restore(db.config, "shop", str(source), out=io.StringIO(), run=fake)
    assert len(fake.calls) == 1 and fake.restored == []


def test_a_failed_restore_says_nothing_changed(db, tmp_path):
    source = tmp_path / "nightly.dump"
    source.write_bytes(DUMP)
    with pytest.raises(db.Failure, match="failed, nothing changed: pg_restore: error: boom"):
        db.restore(db.config, "shop", str(source), out=io.StringIO(), run=FakePostgres(restore_rc=1))


@pytest.mark.parametrize("name", ["shop'; drop database x; --", "Shop", "", "1shop", "a" * 64])
def test_names_that_are_no_flaskstack_database_are_refused(db, name):
    with pytest.raises(db.Failure, match="is not a database name"):
        db.checked_name(name)


def test_the_command_line(db, tmp_path, monkeypatch):
    config = tmp_path / "flaskstack-db.json"
    config.write_text('{"dir": "%s", "databases": ["shop"]}' % (tmp_path / "backups"))
    monkeypatch.setattr(db, "CONFIG", str(config))
    out, err = io.StringIO(), io.StringIO()
    assert db.main([], out=out, err=err) == 2 and "flaskstack-db backup" in out.getvalue()
    assert db.main(["--help"], out=io.StringIO(), err=err) == 0
    assert db.main(["restore", "shop"], out=io.StringIO(), err=err) == 1
    assert "restore takes a database and a backup file" in err.getvalue()
    (tmp_path / "backups" / "shop").mkdir(parents=True)
    (tmp_path / "backups" / "shop" / "shop-20260101T000000Z.dump").write_bytes(b"PGDMP")
    listed = io.StringIO()
    assert db.main(["list"], out=listed, err=err) == 0
    assert listed.getvalue().strip().endswith("/shop/shop-20260101T000000Z.dump")


def test_the_config_fills_in_what_it_leaves_out(db, tmp_path):
    config = tmp_path / "flaskstack-db.json"
    config.write_text('{"dir": "/var/backups/x"}')
    assert db.load_config(str(config)) == {"dir": "/var/backups/x", "keep": 7, "port": 5432, "ship": "",
                                           "databases": []}
