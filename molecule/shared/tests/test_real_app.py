"""A real Flask app from PyPI, deployed from variables alone: I Hate Money
(ihatemoney), a budget manager on Flask-SQLAlchemy and Flask-Migrate.

Beside the demo app, as the app "budget" (its own user, server name and data
directory), on a PostgreSQL database of its own on the same server
(flaskstack_app_database): its settings file from app_config_files reads the
secret and the database's URL (DATABASE_URL) from the app's environment; the
release phase migrates the database (flask db upgrade) before a release goes
live. A project created through the site's own form, as a browser would (CSRF
token, session cookie), survives a deploy of another version, a rollback, a
failed migration and a restart of the server; deleted through the site, it
comes back from the nightly backup (flaskstack-db). Runs last in the Debian 13
scenario (conftest.py, MODULE_ORDER): ihatemoney needs Python 3.11 or later.
"""

import json
import os
import re

import pytest

from conftest import only_in_scenarios, recap, restart_container, run_playbook

HOST = "budget.test"
SITE = "http://localhost:81"
VERSIONS = ("7.2.0", "7.2.1")
SECRET = "budget-s3cret-7"
DB_SECRET = "budget-db-s3cret-7"
STATE = "/var/lib/flaskstack/budget"
ROOT = "/srv/flaskstack/budget"
# Its settings are Python, read by the app (IHATEMONEY_SETTINGS_FILE_PATH):
# the secret and the database's URL stay in the environment.
SETTINGS = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
ACTIVATE_DEMO_PROJECT = False
# The test speaks plain HTTP; behind HTTPS keep the default (True).
SESSION_COOKIE_SECURE = False
"""
MIGRATE = "python -m flask --app ihatemoney.wsgi db upgrade --directory ihatemoney/migrations"
# The database server's backups are shipped here too (postgresql_backup_ship_command).
SHIPPED = "/var/backups/shipped"
SHIP = "install -D -m 0600 -t %s" % SHIPPED
ROLLBACK = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ""), "playbooks", "rollback.yml")
PROJECT = {"id": "flat-42", "name": "Flat 42", "password": "open-sesame", "email": "flat@example.com"}


def budget(version, release_commands=(MIGRATE,)):
    """The app's entry of flaskstack_apps, as a user would write it."""
    return {
        "flaskstack_app_name": "budget",
        "nginx_server_name": HOST,
        "app_source": "pip",
        # Its PostgreSQL driver is the package's "database" extra.
        "app_pip_spec": "ihatemoney[database]==%s" % version,
        "flaskstack_app_wsgi": "ihatemoney.wsgi:application",
        "app_health_path": "/healthcheck",
        "gunicorn_workers": 2,
        "app_environment": {"SECRET_KEY": SECRET,
                            "IHATEMONEY_SETTINGS_FILE_PATH": "/etc/flaskstack/budget/ihatemoney.cfg"},
        "app_config_files": [{"path": "ihatemoney.cfg", "content": SETTINGS}],
        "app_release_commands": list(release_commands),
        "flaskstack_app_database": True,
        "flaskstack_app_database_password": DB_SECRET,
    }


def deploy(host, version, *extra, **entry):
    """The site playbook with the scenario's demo app and this one."""
    demo = host.ansible.get_variables()["flaskstack_apps"][0]
    apps = [demo, budget(version, **entry)]
    return run_playbook("-e", json.dumps({"flaskstack_apps": apps, "postgresql_backup_ship_command": SHIP}), *extra)


def live(host):
    return host.file(ROOT + "/current").linked_to.rsplit("/", 1)[1]


def curl(host, *args):
    cmd = host.run("curl -sS --max-time 20 -H 'Host: %s' -b /root/budget.jar -c /root/budget.jar %s"
                   % (HOST, " ".join(args)))
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout


def project(host):
    """The project as the app's API gives it (HTTP basic auth with its id and code)."""
    out = curl(host, "-w '\\n%{http_code}'", "-u %s:%s" % (PROJECT["id"], PROJECT["password"]),
               "%s/api/projects/%s" % (SITE, PROJECT["id"]))
    body, _sep, status = out.rpartition("\n")
    return int(status), body


@pytest.fixture(scope="module", autouse=True)
def first_deploy(host):
    only_in_scenarios("debian13", why="ihatemoney needs Python 3.11 or later (Debian 12 has it too); "
                                      "one platform deploys the real app, the others the demo")
    rc, output = deploy(host, VERSIONS[0])
    assert rc == 0, output[-3000:]
    return output


def psql(host, sql, database="budget"):
    return host.check_output("runuser -u postgres -- psql -XAt -d %s -c \"%s\"" % (database, sql))


def test_the_release_phase_migrated_the_apps_own_database(host):
    tables = psql(host, "select tablename, tableowner from pg_tables where schemaname = 'public'").splitlines()
    assert "project|budget" in tables and all(row.endswith("|budget") for row in tables), tables
    assert not host.file(STATE + "/budget.db").exists
    head = host.check_output("flaskstack budget run -- python -m flask --app ihatemoney.wsgi db current "
                             "--directory ihatemoney/migrations")
    assert "(head)" in head, head
    assert host.file("/etc/flaskstack/budget/ihatemoney.cfg").mode == 0o640


def test_a_project_created_through_the_form_is_kept(host):
    host.run("rm -f /root/budget.jar")
    form = curl(host, "%s/create" % SITE)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, form[-2000:]
    fields = {"csrf_token": token.group(1), "name": PROJECT["name"], "id": PROJECT["id"],
              "password": PROJECT["password"], "contact_email": PROJECT["email"], "default_currency": "XXX"}
    data = " ".join("--data-urlencode %s" % ("'%s=%s'" % item) for item in fields.items())
    answer = curl(host, "-o /dev/null -w '%{http_code} %{redirect_url}'", data, "%s/create" % SITE)
    assert answer.startswith("302 ") and PROJECT["id"] in answer, answer
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body


def test_check_mode_changes_nothing_and_shows_no_secret(host, first_deploy):
    assert SECRET not in first_deploy and DB_SECRET not in first_deploy
    rc, output = deploy(host, VERSIONS[0], "--check", "--diff")
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0, output[-3000:]
    assert SECRET not in output and DB_SECRET not in output
    # The package and its dependencies are in the release, not in the shared virtualenv.
    assert host.file(ROOT + "/current/ihatemoney/wsgi.py").exists
    assert host.run(ROOT + "/venv/bin/pip show ihatemoney").rc != 0


def test_a_project_deleted_through_the_site_comes_back_from_the_backup(host):
    started = host.run("systemctl start flaskstack-db-backup.service")
    assert started.rc == 0, started.stderr
    backups = host.check_output("flaskstack-db list budget").splitlines()
    assert backups, "no backup of budget"
    backup = host.file(backups[-1])
    assert backup.user == "root" and backup.mode == 0o600 and backup.size > 0
    assert host.file("%s/%s" % (SHIPPED, backups[-1].rsplit("/", 1)[1])).exists
    # Lost through the site: deleted as its owner would (the API, HTTP basic auth).
    deleted = curl(host, "-o /dev/null -w '%{http_code}' -X DELETE",
                   "-u %s:%s" % (PROJECT["id"], PROJECT["password"]), "%s/api/projects/%s" % (SITE, PROJECT["id"]))
    assert deleted == "200", deleted
    assert project(host)[0] != 200
    before_restores = "ls /var/backups/flaskstack/postgresql/budget/ | grep -c before-restore"
    kept = int(host.run(before_restores).stdout.strip() or 0)
    restored = host.run("flaskstack-db restore budget %s", backups[-1])
    assert restored.rc == 0, restored.stderr
    assert "backed up at" in restored.stdout and "budget restored from" in restored.stdout, restored.stdout
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body
    # What the restore replaced was kept, apart from the nightly ones.
    assert int(host.run(before_restores).stdout.strip()) == kept + 1
    # The tables are the app's again, which it can write.
    tables = psql(host, "select distinct tableowner from pg_tables where schemaname = 'public'")
    assert tables == "budget", tables


def test_a_restore_refuses_a_file_that_is_no_backup(host):
    host.run("echo 'not a dump' > /root/not-a-dump")
    refused = host.run("flaskstack-db restore budget /root/not-a-dump")
    assert refused.rc == 1 and "is not a backup of pg_dump's custom format" in refused.stderr, refused.stderr
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body


def test_the_data_survives_another_version_and_a_rollback(host):
    first = live(host)
    rc, output = deploy(host, VERSIONS[1])
    assert rc == 0, output[-3000:]
    assert live(host) != first
    assert host.file(ROOT + "/current/ihatemoney-%s.dist-info" % VERSIONS[1]).exists
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body
    rc, output = run_playbook("-e", "flaskstack_rollback_app=budget",
                              "-e", json.dumps({"flaskstack_apps": [host.ansible.get_variables()["flaskstack_apps"][0],
                                                                    budget(VERSIONS[1])]}),
                              playbook=ROLLBACK)
    assert rc == 0, output[-3000:]
    assert live(host) == first
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body


def test_a_broken_migration_stops_the_deploy_and_the_live_release_keeps_serving(host):
    before = live(host)
    broken = MIGRATE.replace("db upgrade", "db upgrade 0123deadbeef")
    rc, output = deploy(host, VERSIONS[1], release_commands=[broken])
    assert rc != 0
    assert "release command `%s` failed" % broken in output, output[-3000:]
    assert "0123deadbeef" in output and "The live release is unchanged on every server" in output, output[-3000:]
    assert live(host) == before
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body


def test_the_data_survives_a_restart_of_the_server(host):
    restart_container(host, "%s/healthcheck" % SITE, b"OK", "-H", "Host: %s" % HOST)
    status, body = project(host)
    assert status == 200 and json.loads(body)["name"] == PROJECT["name"], body
    assert host.run("systemctl is-active flaskstack-db-backup.timer").stdout.strip() == "active"
