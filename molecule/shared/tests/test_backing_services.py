"""PostgreSQL and Redis on the app server (issue 19), as the Debian 13 scenario converged them.

The demo app asks for both (flaskstack_app_database, flaskstack_app_redis): a worker of it takes
its jobs from Redis, and its DATABASE_URL logs in to a database of its own. Each service listens on
localhost only, asks every client for a password, and the passwords never reach Ansible's output.
The real app's data on PostgreSQL, its backup and restore are in test_real_app.py.
"""

import json

import pytest

from conftest import listeners, only_in_scenarios, recap, run_playbook


@pytest.fixture(scope="module", autouse=True)
def scenario():
    only_in_scenarios("debian13", why="one server of this scenario runs the apps, PostgreSQL and Redis")


@pytest.fixture(scope="module")
def entry(host):
    return host.ansible.get_variables()["flaskstack_apps"][0]


def environment(host):
    """The demo app's environment file, as a dict."""
    text = host.check_output("cat /etc/flaskstack/demo/environment")
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_a_job_goes_through_redis_to_a_worker_of_the_app(host, site):
    enqueued = json.loads(site.curl("/jobs", "-XPOST"))
    assert enqueued["queue"] == "RedisHuey", enqueued
    # A worker of the app as the operator starts one (this scenario's app has
    # no app_processes, which the default scenario runs): as the app user, with
    # its environment, so it reads REDIS_URL too. Bounded by timeout.
    started = host.run("setsid nohup flaskstack demo run -- timeout 60 python -m huey.bin.huey_consumer app.huey "
                       "> /tmp/flaskstack-consumer.log 2>&1 < /dev/null &")
    assert started.rc == 0, started.stderr
    try:
        result = site.job()
    finally:
        host.run("pkill -f huey_consumer")
    assert result["done"] and result["user"] == "demo", result
    assert "Executing app.where: %s" % enqueued["id"] in host.check_output("cat /tmp/flaskstack-consumer.log")
    # The queue's keys are in Redis, under the app's own user.
    env = environment(host)
    assert env["REDIS_URL"].startswith("redis://demo:") and env["REDIS_URL"].endswith("@127.0.0.1:6379/0")
    keys = host.run("redis-cli -u '%s' --no-auth-warning --scan --pattern 'huey.*demo*'" % env["REDIS_URL"])
    assert keys.rc == 0 and keys.stdout.strip(), keys.stdout + keys.stderr


def test_redis_asks_every_client_for_a_password_and_listens_on_localhost_only(host, entry):
    anonymous = host.run("redis-cli ping")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr, anonymous.stdout
    wrong = host.run("redis-cli --user demo --pass not-the-password --no-auth-warning ping")
    assert "WRONGPASS" in wrong.stdout + wrong.stderr, wrong.stdout
    right = host.run("redis-cli --user demo --pass '%s' --no-auth-warning ping" % entry["flaskstack_app_redis_password"])
    assert right.stdout.strip() == "PONG", right.stdout + right.stderr
    # An app's user cannot reconfigure or empty the server.
    flush = host.run("redis-cli --user demo --pass '%s' --no-auth-warning flushall"
                     % entry["flaskstack_app_redis_password"])
    assert "NOPERM" in flush.stdout + flush.stderr, flush.stdout
    assert set(listeners(host, 6379)) <= {"127.0.0.1", "[::1]"} and listeners(host, 6379), listeners(host, 6379)
    # Its password is stored hashed, never as it is.
    config = host.file("/etc/redis/flaskstack.conf")
    assert config.mode == 0o640 and config.group == "redis"
    assert entry["flaskstack_app_redis_password"] not in host.check_output("cat /etc/redis/flaskstack.conf")


def test_redis_keeps_its_data_on_disk(host):
    assert host.file("/var/lib/redis/appendonlydir").is_directory
    assert "appendonly yes" in host.check_output("cat /etc/redis/flaskstack.conf")
    assert host.check_output("tail -n 1 /etc/redis/redis.conf") == "include /etc/redis/flaskstack.conf"


def test_the_apps_database_url_logs_in_to_its_own_database(host, entry):
    env = environment(host)
    url = env["DATABASE_URL"]
    # The password holds a space, a slash, a colon and an @: quoted in the URL.
    assert url.startswith("postgresql://demo:pg%20s3cret%2F13%3A%40@127.0.0.1:5432/demo"), url.split("@")[-1]
    who = host.run("psql '%s' -XAtc 'select current_user, current_database()'" % url)
    assert who.rc == 0 and who.stdout.strip() == "demo|demo", who.stderr
    # The role owns its database, which nobody else may connect to.
    acl = host.check_output("runuser -u postgres -- psql -XAtc \"select datacl from pg_database where datname = 'demo'\"")
    assert not any(part.startswith("=") for part in acl.strip("{}").split(",")), acl
    owner = host.check_output("runuser -u postgres -- psql -XAtc \"select pg_get_userbyid(datdba) from pg_database "
                              "where datname = 'demo'\"")
    assert owner == "demo"
    # Without the password: refused.
    anonymous = host.run("psql -h 127.0.0.1 -U demo -d demo -w -XAtc 'select 1'")
    assert anonymous.rc != 0 and "password" in anonymous.stderr, anonymous.stderr


def test_the_app_logs_in_to_its_database_through_its_url(site):
    status, body = site.get("/db")
    assert status == 200, body
    assert json.loads(body) == {"user": "demo", "database": "demo", "server": "127.0.0.1",
                                "hostname": "flaskstack-debian13"}, body


def test_postgresql_listens_on_localhost_only_with_scram(host):
    assert listeners(host, 5432) and set(listeners(host, 5432)) <= {"127.0.0.1", "[::1]"}, listeners(host, 5432)
    encryption = host.check_output("runuser -u postgres -- psql -XAtc 'show password_encryption'")
    assert encryption == "scram-sha-256"
    stored = host.check_output("runuser -u postgres -- psql -XAtc \"select rolpassword from pg_authid "
                               "where rolname = 'demo'\"")
    assert stored.startswith("SCRAM-SHA-256$"), stored[:14]


def test_check_mode_changes_nothing_and_shows_no_password(host, entry):
    rc, output = run_playbook("--check", "--diff", "-v")
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0, output[-3000:]
    for secret in (entry["flaskstack_app_redis_password"], entry["flaskstack_app_database_password"],
                   "pg%20s3cret%2F13%3A%40"):
        assert secret not in output


def test_the_backup_timer_is_set_for_the_apps_database(host):
    assert host.service("flaskstack-db-backup.timer").is_enabled
    assert host.check_output("systemctl is-active flaskstack-db-backup.timer") == "active"
    config = json.loads(host.check_output("cat /etc/flaskstack-db.json"))
    assert config["databases"] == ["demo"] and config["keep"] == 7, config
    assert host.file("/etc/flaskstack-db.json").mode == 0o600
    assert host.file("/var/backups/flaskstack/postgresql").mode == 0o700


def test_a_new_password_is_set_without_a_new_database_or_a_postgresql_restart(host, site, entry):
    version = host.check_output("pg_lsclusters --no-header | awk '$2 == \"main\" {print $1}'")
    started = "systemctl show -p ExecMainStartTimestampMonotonic --value postgresql@%s-main" % version
    before = host.check_output(started)
    old = environment(host)
    kept = host.run("psql '%s' -XAtc 'create table if not exists kept (note text); "
                    "insert into kept values ($$before the new password$$)'" % old["DATABASE_URL"])
    assert kept.rc == 0, kept.stderr
    new = dict(entry, flaskstack_app_database_password="new pg s3cret", flaskstack_app_redis_password="new-redis-s3cret")
    try:
        rc, output = run_playbook("-e", json.dumps({"flaskstack_apps": [new]}))
        assert rc == 0, output[-3000:]
        assert "new pg s3cret" not in output and "new-redis-s3cret" not in output
        now = environment(host)
        assert now["DATABASE_URL"] != old["DATABASE_URL"] and "new%20pg%20s3cret" in now["DATABASE_URL"]
        refused = host.run("psql '%s' -XAtc 'select 1'" % old["DATABASE_URL"])
        assert refused.rc != 0 and "password authentication failed" in refused.stderr, refused.stderr
        notes = host.run("psql '%s' -XAtc 'select note from kept'" % now["DATABASE_URL"])
        assert notes.rc == 0 and notes.stdout.strip() == "before the new password", notes.stderr
        assert host.check_output(started) == before, "PostgreSQL restarted for a password"
        # The app reloaded with its new environment: it logs in with the new password.
        status, body = site.get("/db")
        assert status == 200 and json.loads(body)["user"] == "demo", body
        wrong = host.run("redis-cli -u '%s' --no-auth-warning ping" % old["REDIS_URL"])
        assert "WRONGPASS" in wrong.stdout + wrong.stderr, wrong.stdout
        assert host.check_output("redis-cli -u '%s' --no-auth-warning ping" % now["REDIS_URL"]) == "PONG"
    finally:
        rc, output = run_playbook()
        assert rc == 0, output[-3000:]
    assert environment(host)["DATABASE_URL"] == old["DATABASE_URL"]
    host.run("psql '%s' -XAtc 'drop table kept'" % old["DATABASE_URL"])


def test_a_redis_whose_data_is_in_a_snapshot_only_is_refused_not_emptied(host):
    """A Redis the role takes over (here: this one, with its append-only file moved away and its
    data saved in dump.rdb at shutdown) would start empty if appendonly were turned on by a restart."""
    host.run_expect([0], "redis-cli --user demo --pass '%s' --no-auth-warning set kept-key kept-value"
                    % host.ansible.get_variables()["flaskstack_apps"][0]["flaskstack_app_redis_password"])
    host.run_expect([0], "systemctl stop redis-server")
    try:
        host.run_expect([0], "test -s /var/lib/redis/dump.rdb && mv /var/lib/redis/appendonlydir /root/appendonlydir.kept")
        rc, output = run_playbook()
        assert rc != 0
        assert "Redis holds data in /var/lib/redis/dump.rdb and has no append-only file yet" in output, output[-3000:]
        assert recap(output)["changed"] == 0, output[-3000:]
        assert host.run("systemctl is-active redis-server").stdout.strip() != "active"
    finally:
        host.run("mv /root/appendonlydir.kept /var/lib/redis/appendonlydir")
        host.run_expect([0], "systemctl start redis-server")
    kept = host.check_output("redis-cli --user demo --pass '%s' --no-auth-warning get kept-key"
                             % host.ansible.get_variables()["flaskstack_apps"][0]["flaskstack_app_redis_password"])
    assert kept == "kept-value"
