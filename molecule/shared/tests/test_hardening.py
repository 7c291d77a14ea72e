"""Safe by default: what the host looks like to someone probing it, and to the
app itself. Each check is one control of the security defaults (README,
"Security"); the systemd exposure score is printed."""

import json
import os
import re

import pytest

from conftest import APP, SERVICE, gunicorn_config, only_in_scenarios

RUN_DIR = "/run/flaskstack-%s" % APP


def systemd_only(process_manager):
    if process_manager != "systemd":
        pytest.skip("the systemd sandbox applies to the systemd service; supervisor runs the app here")


def test_app_unit_exposure_is_at_most_2(host, process_manager):
    systemd_only(process_manager)
    out = host.check_output("systemd-analyze security --no-pager %s.service", SERVICE)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    assert match, out
    score = float(match.group(1))
    print("exposure: %s %s.service %.1f (systemd-analyze security; 0 = locked down, 10 = exposed)" % (
        os.environ.get("MOLECULE_SCENARIO_NAME", "?"), SERVICE, score))
    assert score <= 2.0, out


def test_worker_units_are_sandboxed_like_the_app(host):
    only_in_scenarios("default", why="the scenario whose demo app has queue workers (app_processes) under systemd")
    for instance in ("1", "2"):
        unit = "%s.worker@%s.service" % (SERVICE, instance)
        out = host.check_output("systemd-analyze security --no-pager %s", unit)
        match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
        assert match and float(match.group(1)) <= 2.0, out
        pid = host.check_output("systemctl show -p MainPID --value %s", unit)
        assert host.check_output("ps -o user= -p %s", pid) == "demo"


def test_sandbox_holds_the_running_app(host, site, process_manager):
    systemd_only(process_manager)
    master = site.gunicorn_masters()[0][0]
    status = host.check_output("cat /proc/%s/status" % master)
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["NoNewPrivs"].strip() == "1"
    assert int(fields["CapBnd"], 16) == 0, "capabilities left: " + fields["CapBnd"]
    assert fields["Seccomp"].strip() == "2", "no system call filter"
    # ProtectSystem=strict: in the app's own mount namespace, / is read-only.
    root = [line.split() for line in host.check_output("cat /proc/%s/mountinfo" % master).splitlines()
            if line.split()[4] == "/"]
    assert root and "ro" in root[-1][5].split(","), root


def test_app_user_cannot_write_its_code_or_config(host):
    for path in ("/srv/flaskstack/%s/current/app.py" % APP, gunicorn_config(host)[0],
                 "/etc/nginx/sites-available/%s.conf" % SERVICE):
        cmd = host.run("runuser -u %s -- sh -c 'echo >> %s'", APP, path)
        assert cmd.rc != 0, "%s is writable by the app user" % path
    cmd = host.run("runuser -u %s -- touch /srv/flaskstack/%s/current/new-file", APP, APP)
    assert cmd.rc != 0, "the app user can add files to its live release"


def test_config_files_belong_to_root_and_only_root_writes_them(host, process_manager):
    unit = ("/etc/systemd/system/%s.service" % SERVICE if process_manager == "systemd"
            else "/etc/supervisor/conf.d/%s.conf" % SERVICE)
    for path in (gunicorn_config(host)[0], unit, "/etc/nginx/sites-available/%s.conf" % SERVICE, "/etc/nginx/nginx.conf"):
        config = host.file(path)
        assert config.user == "root", path
        assert config.mode & 0o022 == 0, "%s is writable by group or others: %o" % (path, config.mode)


def test_gunicorn_config_with_its_secrets_is_not_world_readable(host):
    config = host.file(gunicorn_config(host)[0])
    assert (config.user, config.group, config.mode) == ("root", APP, 0o640)


def test_socket_is_reachable_by_nginx_only(host):
    run_dir = host.file(RUN_DIR)
    assert (run_dir.user, run_dir.group, run_dir.mode) == (APP, "www-data", 0o750)
    url = "http://localhost/healthz"
    as_nginx = host.run("runuser -u www-data -- curl -sS --max-time 5 --unix-socket %s/gunicorn.sock %s", RUN_DIR, url)
    assert as_nginx.rc == 0 and as_nginx.stdout == "ok\n", as_nginx.stderr
    as_other = host.run("runuser -u nobody -- curl -sS --max-time 5 --unix-socket %s/gunicorn.sock %s", RUN_DIR, url)
    assert as_other.rc != 0, "another user reached the app socket"


def test_nginx_workers_do_not_run_as_root(site):
    workers = [row for row in site.processes() if row[3].startswith("nginx: worker process")]
    assert workers
    assert {user for _pid, _ppid, user, _args in workers} == {"www-data"}


def test_security_headers_on_pages_and_errors(host):
    for path in ("/", "/no-such-page"):
        headers = host.check_output("curl -sS --max-time 10 -D - -o /dev/null http://localhost:81%s", path)
        for expected in ("X-Content-Type-Options: nosniff", "Content-Security-Policy: frame-ancestors 'self'",
                         "X-Frame-Options: SAMEORIGIN", "Referrer-Policy: strict-origin-when-cross-origin"):
            assert expected in headers, "%s lacks %s:\n%s" % (path, expected, headers)


def test_dotfiles_are_never_served(site):
    for path in ("/.env", "/.git/config", "/static/.htpasswd"):
        status, body = site.get(path)
        assert status == 404, (path, status)
        assert "<center>nginx</center>" in body, "%s reached the app: %s" % (path, body)


def test_limits_refuse_oversized_requests_and_let_uploads_through(host, site):
    # A 1 MB upload passes nginx and reaches Flask whole. (An endpoint that
    # answers without reading the body, such as a 405, races gunicorn's close
    # against nginx still writing the body, and nginx may then answer 502.)
    upload = host.run("head -c 1048576 /dev/zero | curl -s --max-time 10 --data-binary @- http://localhost:81/upload")
    assert upload.rc == 0, upload.stderr
    assert json.loads(upload.stdout) == {"received": 1048576}, upload.stdout
    # ...an 11 MB body is refused by nginx (client_max_body_size 10m)...
    big = host.run("head -c 11534336 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --max-time 10 "
                   "--data-binary @- http://localhost:81/")
    assert big.stdout == "413", big.stdout
    # ...and so is a 20 kB header (large_client_header_buffers 4 16k).
    status, _body = site.get("/", headers={"Cookie": "x=" + "a" * 20000})
    assert status in (400, 431, 494), status


def test_supervisor_control_socket_is_root_only(host, process_manager):
    if process_manager != "supervisor":
        pytest.skip("supervisor is not installed when systemd runs the app")
    sock = host.file("/var/run/supervisor.sock")
    assert sock.is_socket
    assert (sock.user, sock.mode) == ("root", 0o700)
    listening = host.check_output("ss -Hltnp")
    assert "supervisord" not in listening, "supervisor listens on TCP: " + listening
    assert host.run("runuser -u %s -- supervisorctl status", APP).rc != 0
