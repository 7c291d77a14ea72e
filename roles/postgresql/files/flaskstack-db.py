# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flaskstack-db: back up and restore the flaskstack apps' PostgreSQL databases (written by the
flaskstack.deploy postgresql role; its settings are in /etc/flaskstack-db.json).

  flaskstack-db backup [DATABASE ...]   back up each database (every one of the config without
                                        a name): pg_dump's custom format, into DIR/DATABASE/;
                                        keeps the newest KEEP, then runs the ship command
  flaskstack-db list [DATABASE ...]     the backups, oldest first
  flaskstack-db restore DATABASE FILE   put FILE back into DATABASE in one transaction, after a
                                        backup of what it replaces (kept apart, never pruned)

Runs as root; pg_dump and pg_restore run as postgres.
"""

import datetime
import json
import os
import re
import shlex
import subprocess
import sys

CONFIG = os.environ.get("FLASKSTACK_DB_CONFIG", "/etc/flaskstack-db.json")
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")
BACKUP = r"^%s-\d{8}T\d{6}Z\.dump\Z"


class Failure(Exception):
    """A step that failed, with what to tell the operator."""


def load_config(path=None):
    with open(path or CONFIG) as handle:
        config = json.load(handle)
    config.setdefault("keep", 7)
    config.setdefault("port", 5432)
    config.setdefault("ship", "")
    config.setdefault("databases", [])
    return config


def as_postgres(argv):
    """argv run as the postgres user (root switches to it)."""
    return argv if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"] + argv


def stamp(now=None):
    return (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def checked_name(database):
    if not NAME.match(database or ""):
        raise Failure("%r is not a database name of flaskstack (lowercase letters, digits and _)" % database)
    return database


def backups(config, database):
    """The kept backups of database, oldest first."""
    directory = os.path.join(config["dir"], database)
    pattern = re.compile(BACKUP % re.escape(database))
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    return [os.path.join(directory, name) for name in sorted(names) if pattern.match(name)]


def dump(config, database, suffix=".dump", run=subprocess.run):
    """pg_dump of database into its directory, written beside and renamed into place: a failed
    dump leaves no file that looks like a backup."""
    directory = os.path.join(config["dir"], database)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = os.path.join(directory, "%s-%s%s" % (database, stamp(), suffix))
    partial = os.path.join(directory, ".%s.partial" % os.path.basename(path))
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        proc = run(as_postgres(["pg_dump", "--format=custom", "--port", str(config["port"]), database]),
                   stdout=out, stderr=subprocess.PIPE, check=False)
        out.flush()
        os.fsync(out.fileno())
    if proc.returncode != 0:
        os.unlink(partial)
        raise Failure("pg_dump of %s failed: %s" % (database, _text(proc.stderr)))
    os.rename(partial, path)
    return path


def prune(config, database):
    """Deletes all but the newest `keep` backups of database; returns the deleted paths."""
    kept = backups(config, database)
    old = kept[:max(len(kept) - int(config["keep"]), 0)]
    for path in old:
        os.unlink(path)
    return old


def ship(config, path, run=subprocess.run):
    if not config["ship"]:
        return
    argv = shlex.split(config["ship"]) + [path]
    proc = run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        # Its program only: the rest may hold a credential, and this reaches the journal.
        raise Failure("the ship command (%s ...) failed with exit code %d (the backup is kept at %s): %s"
                      % (argv[0], proc.returncode, path, _text(proc.stdout)))


def backup(config, names, out=sys.stdout, err=sys.stderr, run=subprocess.run):
    failed = 0
    for database in names or config["databases"]:
        try:
            path = dump(config, checked_name(database), run=run)
            prune(config, database)
            out.write("%s\n" % path)
            ship(config, path, run=run)
        except Failure as failure:
            err.write("flaskstack-db: %s\n" % failure)
            failed += 1
    return 1 if failed else 0


def owner(config, database, run=subprocess.run):
    proc = run(as_postgres(["psql", "-XAtq", "--port", str(config["port"]), "--dbname", "postgres", "-c",
                            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '%s'" % database]),
               stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    name = _text(proc.stdout).strip()
    if proc.returncode != 0 or not name:
        raise Failure("database %s is not on this server (%s)" % (database, _text(proc.stderr).strip() or "no owner"))
    return name


def restore(config, database, path, out=sys.stdout, run=subprocess.run):
    """Puts the backup at path back into database, in one transaction: its tables are replaced by
    the backup's, owned by the database's owner. What it replaces is backed up first."""
    checked_name(database)
    # Opened first: the file stays readable even if a backup prunes it meanwhile. Unbuffered:
    # pg_restore reads the descriptor from where this process left it.
    try:
        source = open(path, "rb", buffering=0)
    except OSError as error:
        raise Failure("cannot read %s: %s" % (path, error.strerror))
    with source:
        if source.read(5) != b"PGDMP":
            raise Failure("%s is not a backup of pg_dump's custom format" % path)
        source.seek(0)
        role = owner(config, database, run=run)
        before = dump(config, database, suffix=".before-restore.dump", run=run)
        out.write("what %s held is backed up at %s\n" % (database, before))
        proc = run(as_postgres(["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                                "--no-owner", "--role", role, "--port", str(config["port"]), "--dbname", database]),
                   stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise Failure("pg_restore of %s into %s failed, nothing changed: %s" % (path, database, _text(proc.stderr)))
    out.write("%s restored from %s\n" % (database, path))
    return 0


def _text(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")


def main(argv=None, out=sys.stdout, err=sys.stderr):
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in ("backup", "list", "restore"):
        out.write(__doc__)
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        config = load_config()
        if args[0] == "backup":
            return backup(config, args[1:], out=out, err=err)
        if args[0] == "list":
            for database in args[1:] or config["databases"]:
                for path in backups(config, checked_name(database)):
                    out.write("%s\n" % path)
            return 0
        if len(args) != 3:
            raise Failure("restore takes a database and a backup file: flaskstack-db restore DATABASE FILE")
        return restore(config, args[1], args[2], out=out)
    except Failure as failure:
        err.write("flaskstack-db: %s\n" % failure)
        return 1


if __name__ == "__main__":
    sys.exit(main())
