"""What a user checks after converging: the page, the path it took, the processes."""

import json

from conftest import APP, SERVICE, gunicorn_config, recap, run_playbook


def test_port_81_serves_the_demo_page(site):
    status, body = site.get("/")
    assert status == 200
    assert body.strip() == "Hello World!"


def test_response_came_from_flask_through_gunicorn(site):
    seen = site.demo()
    assert seen["server_software"].startswith("gunicorn/"), seen
    assert seen["framework"].startswith("Flask "), seen


def test_hello_names_the_host(site, host):
    status, body = site.get("/hello")
    assert status == 200
    assert body.strip() == "Hello from %s" % host.check_output("hostname")


def test_health_url_answers(site):
    assert site.get("/healthz") == (200, "ok\n")


def test_unknown_path_is_flask_404(site):
    status, body = site.get("/no-such-page")
    assert status == 404
    assert "Not Found" in body


def test_app_sees_client_address_and_original_host(site):
    seen = site.demo(headers={"Host": "shop.example.test"})
    assert seen["x_forwarded_for"] in ("127.0.0.1", "::1"), seen
    # The demo app trusts nginx one hop deep (ProxyFix): the client, not the socket.
    assert seen["remote_addr"] == seen["x_forwarded_for"], seen
    assert seen["host"] == "shop.example.test", seen
    assert seen["x_forwarded_host"] == "shop.example.test", seen
    assert seen["x_forwarded_proto"] == "http", seen


def test_client_sent_forwarded_for_is_not_passed_on(site):
    seen = site.demo(headers={"X-Forwarded-For": "203.0.113.66"})
    assert "203.0.113.66" not in seen["x_forwarded_for"], seen
    assert seen["remote_addr"] in ("127.0.0.1", "::1"), seen


def test_nginx_is_enabled_and_running(host):
    nginx = host.service("nginx")
    assert nginx.is_enabled
    assert nginx.is_running


def test_app_process_is_enabled_and_running(host, process_manager):
    if process_manager == "systemd":
        service = host.service(SERVICE)
        assert service.is_enabled
        assert service.is_running
    else:
        assert host.service("supervisor").is_enabled
        status = host.run("supervisorctl status %s", SERVICE)
        assert "RUNNING" in status.stdout, status.stdout
        program = host.file("/etc/supervisor/conf.d/%s.conf" % SERVICE).content_string
        assert "autostart=true" in program
        assert "autorestart=true" in program


def test_exactly_one_gunicorn_master(site):
    masters = site.gunicorn_masters()
    assert len(masters) == 1, masters


def test_gunicorn_runs_as_the_app_user_not_root(site):
    processes = site.gunicorn_processes()
    assert processes, "no gunicorn process"
    assert {user for _pid, _ppid, user, _args in processes} == {APP}


def test_app_user_owns_nothing_outside_its_own_directory(host):
    # Not the system python its virtualenv links to, not its code, not its config;
    # only its virtualenv and its data directory (app_state_dir).
    # -xdev keeps find on the root filesystem (not /proc, /sys or /run).
    find = host.run("find / -xdev -user demo -not -path '/srv/flaskstack/demo/venv*' "
                    "-not -path '/var/lib/flaskstack/demo' -not -path '/var/lib/flaskstack/demo/*'")
    # A file that vanishes while find walks is no error; anything else is.
    errors = [line for line in find.stderr.splitlines() if not line.endswith("No such file or directory")]
    assert find.rc == 0 or (find.rc == 1 and find.stderr and not errors), find.stderr
    assert find.stdout == "", "files owned by the app user:\n" + find.stdout


def test_gunicorn_listens_on_no_network_address(host, site):
    gunicorn_pids = {pid for pid, _ppid, _user, _args in site.gunicorn_processes()}
    listening = host.check_output("ss -Hlntup")
    for line in listening.splitlines():
        for pid in gunicorn_pids:
            assert "pid=%d," % pid not in line, "gunicorn listens on the network: " + line


def test_nginx_was_installed_in_the_background_while_the_app_was_built(host):
    """The first converge found no nginx: the nginx role's packages.yml started
    its install as an asynchronous job at the app's turn, and base.yml waited
    for it; the job's result stays in root's async directory."""
    cmd = host.run("python3 -c %s", "import glob, json; print(json.dumps([json.load(open(name)) "
                   "for name in glob.glob('/root/.ansible_async/*')]))")
    assert cmd.rc == 0, cmd.stderr
    jobs = json.loads(cmd.stdout)
    installs = [job for job in jobs if "nginx" in job.get("installed", [])]
    assert installs, "no asynchronous job installed nginx: %s" % jobs
    assert not any(job.get("failed") for job in installs), installs


def test_socket_and_pid_file_live_under_run(host):
    socket = host.file("/run/flaskstack-demo/gunicorn.sock")
    assert socket.is_socket
    assert socket.user == APP
    pidfile = host.file("/run/flaskstack-demo/gunicorn.pid")
    assert pidfile.exists
    assert not host.file("/tmp/gunicorn.sock").exists


def test_gunicorn_config_is_managed_and_not_daemonized(host):
    path, graceful = gunicorn_config(host)
    config = host.file(path)
    assert config.user == "root"
    assert "Managed by Ansible" in config.content_string
    assert "daemon = False" in config.content_string
    assert "graceful_timeout = %d" % graceful in config.content_string


def test_nothing_listens_on_port_80(host):
    assert not host.socket("tcp://0.0.0.0:80").is_listening
    assert not host.socket("tcp://:::80").is_listening


def test_server_header_hides_the_nginx_version(site):
    headers = site.curl("/", "-I")
    server = [line for line in headers.splitlines() if line.lower().startswith("server:")]
    assert server == ["Server: nginx\r"] or server == ["Server: nginx"], server


def test_requests_and_gunicorn_messages_are_logged(host, site, process_manager):
    """Every request is in nginx's access log; gunicorn's own messages reach the
    journal or supervisor's log directory. gunicorn keeps no access log of its
    own by default (gunicorn_accesslog: docs/performance.md)."""
    marker = "/hello?logcheck=%d" % id(site)
    site.get(marker)
    site.wait_for(lambda: marker in host.run("tail -n 200 /var/log/nginx/access.log").stdout,
                  timeout=15, what="the request in nginx's access log")
    if process_manager == "systemd":
        log = host.run("journalctl -u %s --no-pager", SERVICE).stdout
    else:
        log = host.run("cat /var/log/supervisor/%s/error.log", SERVICE).stdout
    assert "Booting worker with pid" in log, log[-2000:]


def test_check_mode_reports_no_changes():
    rc, output = run_playbook("--check", "--diff")
    assert rc == 0, output[-3000:]
    counters = recap(output)
    assert counters["failed"] == 0
    assert counters["changed"] == 0, output[-3000:]


def test_tags_run_one_layer_only():
    rc, output = run_playbook("--tags", "nginx")
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0
    # Variable checks run for every role whatever the tags (tagged "always");
    # they only read variables, the host's cores and memory for a number of
    # workers (the Debian 11 scenario sets one), and whether the sandbox's
    # writable paths exist. So does the fact the app role gives the processes
    # role (app_runtime), worked out on the controller.
    checks = ("Validating arguments against arg spec", "argument spec]", " are valid]",
              "are known, for the number of workers]", "Number of workers fits the host]",
              "Writable paths are looked for on the host]", "Writable paths exist on the host]",
              "App's runtime is given to the process manager]")
    tasks = [line.rstrip(" *") for line in output.splitlines()
             if line.startswith("TASK [") and not any(check in line.rstrip(" *") for check in checks)]
    assert any("flaskstack.deploy.nginx :" in line for line in tasks), tasks
    others = [line for line in tasks if " : " in line
              and not any(role in line for role in ("flaskstack.deploy.nginx :", "flaskstack.deploy.flaskstack :"))]
    assert others == [], others


def test_stopping_the_app_is_graceful_not_kill_9(host, site, process_manager):
    """A restart through the process manager sends TERM and waits; nothing is SIGKILLed."""
    if process_manager == "systemd":
        since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
        host.run_expect([0], "systemctl restart %s", SERVICE)
        site.wait_for(lambda: site.get("/")[0] == 200, timeout=30, what="the page after the restart")
        text = host.run("journalctl -u %s --no-pager --since %s", SERVICE, since).stdout
    else:
        logs = ["/var/log/supervisor/%s/error.log" % SERVICE, "/var/log/supervisor/supervisord.log"]
        sizes = [int(host.check_output("stat -c %%s %s", path)) for path in logs]
        host.run_expect([0], "supervisorctl restart %s", SERVICE)
        site.wait_for(lambda: site.get("/")[0] == 200, timeout=30, what="the page after the restart")
        text = "".join(host.run("tail -c +%s %s", str(size + 1), path).stdout for path, size in zip(logs, sizes))
    assert "Handling signal: term" in text, text[-2000:]
    assert "Shutting down: Master" in text, text[-2000:]
    assert "SIGKILL" not in text, text[-2000:]
