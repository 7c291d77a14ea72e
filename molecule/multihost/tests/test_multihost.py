"""One load balancer, two app servers: requests reach both, an app server that
goes down is routed around, app servers refuse anyone but the load balancer,
and a rolling deploy (serial: 1) drops no request, runs its release phase once
across the servers, and stops at a failed server. The demo app's database is
on a server of its own, which the app servers reach and no other host does.

Every check runs from the load balancer's container, as a client would.
"""

import json
import os
import re
import shutil

import pytest
import testinfra

from conftest import LoadLoop, Site, listeners, recap, run_playbook

testinfra_hosts = ["flaskstack-multihost-lb"]

APP_SERVERS = {"flaskstack-multihost-app1": "flaskstack-app1", "flaskstack-multihost-app2": "flaskstack-app2"}
# The release phase of the rolling deploy, and where it leaves its note.
PHASE = 'echo "$(hostname) $(basename "$PWD")" >> "$STATE_DIRECTORY/release-phase.log"'
PHASE_LOG = "/var/lib/flaskstack/demo/release-phase.log"
# The scenario's networks (molecule.yml): the public one has the default route.
PUBLIC, PRIVATE = "10.202.0.", "10.201.0."
DB = "flaskstack-multihost-db"
DB_SECRET = "multihost-db-s3cret"
REDIS_SECRET = "multihost-redis-s3cret"
# What a server at an address and port answers a client's first words, before
# any password: PostgreSQL (5432) a startup message for the demo database as
# demo, with R (it asks for the password) or E and why not; Redis (6379) PING.
PROBE = """
import socket, struct, sys
address, port = sys.argv[1], int(sys.argv[2])
try:
    conn = socket.create_connection((address, port), timeout=5)
except OSError as error:
    print("unreachable", error)
    sys.exit(0)
if port == 6379:
    conn.sendall(b"PING\\r\\n")
    print(conn.recv(4096).decode().strip())
    sys.exit(0)
params = b"user\\0demo\\0database\\0demo\\0\\0"
conn.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
reply = conn.recv(4096)
print(reply[:1].decode(), reply[5:].replace(b"\\0", b" ").decode(errors="replace"))
"""
DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles", "app", "files", "demo")


def app_server(name):
    return testinfra.get_host("ansible://%s" % name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture()
def site(host):
    return Site(host)


def hello_hosts(site, count=20):
    """Host names that answered /hello through the load balancer, and the statuses."""
    names, statuses = set(), []
    for _attempt in range(count):
        status, body = site.get("/hello")
        statuses.append(status)
        if status == 200:
            names.add(body.strip().rsplit(" ", 1)[-1])
    return names, statuses


def live_release(name):
    return os.path.basename(app_server(name).file("/srv/flaskstack/demo/current").linked_to)


def phase_notes(name):
    log = app_server(name).file(PHASE_LOG)
    return log.content_string.splitlines() if log.exists else []


def write_version(tmp_path, name, extra=""):
    path = tmp_path / name
    path.mkdir()
    for filename in ("app.py", "requirements.txt"):
        shutil.copy(os.path.join(DEMO_DIR, filename), str(path))
    app_py = path / "app.py"
    app_py.write_text(app_py.read_text() + "\n# version %s\n%s" % (name, extra))
    return str(path)


def test_converge_limited_to_one_app_server_changes_nothing(host):  # host: keeps file order
    # The servers left out by --limit still give their addresses to the
    # balancer's upstream and to the app servers' allow list.
    rc, output = run_playbook("--limit", "flaskstack-multihost-app1")
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0, output[-3000:]
    assert DB_SECRET not in output and REDIS_SECRET not in output


def test_check_mode_changes_nothing_on_any_server_and_shows_no_password(host):  # host: keeps file order
    rc, output = run_playbook("--check", "--diff", "-v")
    assert rc == 0, output[-3000:]
    changed = re.findall(r"^flaskstack-multihost-\w+ +: ok=\d+ +changed=(\d+)", output, re.M)
    assert len(changed) == 4 and set(changed) == {"0"}, output[-3000:]
    assert DB_SECRET not in output and REDIS_SECRET not in output


def test_a_run_limited_to_the_database_server_is_refused_before_any_change(host):  # host: keeps file order
    # It cannot know what the app servers' apps ask of it: their users and backups would go.
    rc, output = run_playbook("--limit", DB)
    assert rc != 0
    assert re.search(r'flaskstack-multihost-db: the app servers \["flaskstack-multihost-app1", "flaskstack-multihost-app2"\] '
                     r'were not checked in this run', output), output[-3000:]
    assert recap(output)["changed"] == 0, output[-3000:]
    assert "PLAY [PostgreSQL serves the apps' databases]" not in output


def probe(client, address, port=5432):
    client.run("cat > /tmp/flaskstack-probe.py <<'EOF'\n%s\nEOF" % PROBE)
    return client.check_output("python3 /tmp/flaskstack-probe.py %s %d" % (address, port))


def test_app_servers_reach_their_database_on_its_own_host(site):
    _default, found = addresses(DB)
    (private,) = in_network(found, PRIVATE)
    answered = set()
    for _attempt in range(10):
        status, body = site.get("/db")
        assert status == 200, body
        seen = json.loads(body)
        answered.add(seen.pop("hostname"))
        assert seen == {"user": "demo", "database": "demo", "server": private}, seen
    assert answered == set(APP_SERVERS.values())


def test_the_database_refuses_every_host_but_the_app_servers(host):
    _default, found = addresses(DB)
    (private,) = in_network(found, PRIVATE)
    (public,) = in_network(found, PUBLIC)
    # An app server is asked for its password (SCRAM); the balancer is turned away before it.
    asked = probe(app_server("flaskstack-multihost-app1"), private)
    assert asked.startswith("R") and "SCRAM-SHA-256" in asked, asked
    refused = probe(host, private)
    assert refused.startswith("E") and "no pg_hba.conf entry for host" in refused, refused
    # It listens on its private address and localhost only.
    assert probe(app_server("flaskstack-multihost-app1"), public).startswith("unreachable")
    assert listeners(app_server(DB), 5432) == sorted(["127.0.0.1", private])


def test_balancer_reaches_both_app_servers(site):
    names, statuses = hello_hosts(site)
    assert statuses == [200] * len(statuses)
    assert names == set(APP_SERVERS.values())


def test_app_server_refuses_traffic_not_from_the_balancer(host):  # host: keeps file order
    app1 = app_server("flaskstack-multihost-app1")
    out = app1.check_output("curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://flaskstack-multihost-app2:81/hello")
    assert out == "403"
    # ... but the balancer gets through.
    assert app1.check_output("curl -s --max-time 10 http://localhost:81/healthz") == "ok"


def addresses(name):
    """(default IPv4 address, every IPv4 address) of a container, from its facts."""
    facts = app_server(name).ansible("setup", "gather_subset=!all,network")["ansible_facts"]
    return facts["ansible_default_ipv4"]["address"], facts["ansible_all_ipv4_addresses"]


def in_network(found, prefix):
    return [address for address in found if address.startswith(prefix)]


def test_balancer_and_app_servers_talk_over_the_chosen_network_only(host):  # host: keeps file order
    # Every host's default route is on the public network (10.202.0.0/24);
    # flaskstack_peer_network names the private one (10.201.0.0/24).
    default, found = addresses("flaskstack-multihost-lb")
    assert default.startswith(PUBLIC), "the test needs the default route on the public network: %s" % default
    (balancer_private,) = in_network(found, PRIVATE)
    upstream = host.file("/etc/nginx/sites-available/flaskstack-loadbalancer.conf").content_string
    allowed = app_server("flaskstack-multihost-app1").file(
        "/etc/nginx/sites-available/flaskstack-demo.conf").content_string
    assert "allow %s;" % balancer_private in allowed and PUBLIC not in allowed, allowed
    for name in APP_SERVERS:
        default, found = addresses(name)
        assert default.startswith(PUBLIC), default
        (private,) = in_network(found, PRIVATE)
        (public,) = in_network(found, PUBLIC)
        assert "server %s:81 " % private in upstream and PUBLIC not in upstream, upstream
        # From the balancer: the private address answers, the public one refuses it.
        hello = "curl -s -o /dev/null -w '%%{http_code}' --max-time 10 http://%s:81/hello"
        assert host.check_output(hello % private) == "200"
        assert host.check_output(hello % public) == "403"


def test_a_peer_network_a_host_is_not_on_is_refused_before_any_change(host):  # host: keeps file order
    rc, output = run_playbook("-e", "flaskstack_peer_network=192.168.99.0/24")
    assert rc != 0
    assert re.search(r"flaskstack_peer_network of flaskstack-multihost-\w+: no address of the host is in "
                     r"192\.168\.99\.0/24 \(10\.20[12]\.0\.\d+, 10\.20[12]\.0\.\d+\)", output), output[-3000:]
    changed = re.findall(r"^flaskstack-multihost-\w+ +: ok=\d+ +changed=(\d+)", output, re.M)
    assert len(changed) == 4 and set(changed) == {"0"}, output[-3000:]


def test_client_sent_forwarded_for_is_replaced_by_the_balancer(site):
    demo = site.demo({"X-Forwarded-For": "203.0.113.66"})
    assert demo["x_forwarded_for"] == "127.0.0.1"
    assert demo["hostname"] in APP_SERVERS.values()


def test_balancer_routes_around_a_stopped_app_server(site):
    app1 = app_server("flaskstack-multihost-app1")
    app1.check_output("systemctl stop nginx flaskstack-demo")
    try:
        names, statuses = hello_hosts(site)
        print("failover: with flaskstack-app1 stopped, statuses %s, answered by %s" % (sorted(set(statuses)), sorted(names)))
        assert statuses == [200] * len(statuses)
        assert names == {"flaskstack-app2"}
    finally:
        app1.check_output("systemctl start flaskstack-demo nginx")
    # Back in the pool once its fail_timeout (10 s) has passed.
    site.wait_for(lambda: "flaskstack-app1" in hello_hosts(site, 6)[0], timeout=40,
                  what="flaskstack-app1 to be back in the pool")


def test_rolling_deploy_under_load_drops_no_request(host, tmp_path):
    before = {name: live_release(name) for name in APP_SERVERS}
    # Bounded, and well above a rolling deploy of two servers (about 2 min here).
    notes = {name: phase_notes(name) for name in APP_SERVERS}
    load = LoadLoop(host, "http://127.0.0.1:81/demo", name="rolling-deploy", max_seconds=300)
    rc, output = run_playbook("-e", "flaskstack_serial=1", "-e", "app_source=local",
                              "-e", "app_local_path=%s" % write_version(tmp_path, "v2"),
                              "-e", json.dumps({"app_release_commands": [PHASE]}))
    stats = load.stop(linger=3)
    assert rc == 0, output[-3000:]
    after = {name: live_release(name) for name in APP_SERVERS}
    assert len(set(after.values())) == 1 and after != before
    assert stats["failed"] == 0, stats["errors"]
    assert stats["last_release"] == list(after.values())[0]
    # serial: 1 ran the app servers in two batches.
    assert output.count("PLAY [Apps are deployed on the app servers]") == 2
    # The release phase ran once, on the first server of the first batch, in the new release.
    release = list(after.values())[0]
    assert phase_notes("flaskstack-multihost-app1") == notes["flaskstack-multihost-app1"] + [
        "flaskstack-app1 %s" % release]
    assert phase_notes("flaskstack-multihost-app2") == notes["flaskstack-multihost-app2"]


def test_rollout_stops_at_the_first_failed_app_server(site, tmp_path):
    before = {name: live_release(name) for name in APP_SERVERS}
    # Loads on every server but flaskstack-app1, the first of the rollout.
    broken = write_version(tmp_path, "v3", "import socket\nif socket.gethostname() == 'flaskstack-app1':\n"
                                           "    raise RuntimeError('broken on flaskstack-app1 only')\n")
    rc, output = run_playbook("-e", "flaskstack_serial=1", "-e", "app_source=local", "-e", "app_local_path=%s" % broken)
    assert rc != 0
    assert "broken on flaskstack-app1 only" in output, output[-3000:]
    # flaskstack-app2 never got the release, though it would have loaded there.
    assert {name: live_release(name) for name in APP_SERVERS} == before
    assert output.count("PLAY [Apps are deployed on the app servers]") == 1
    names, statuses = hello_hosts(site)
    assert statuses == [200] * len(statuses) and names == set(APP_SERVERS.values())


def test_a_job_runs_on_the_first_app_server_unless_it_runs_on_all():
    timers = {name: app_server(name).run("systemctl list-timers --all --no-legend --plain").stdout
              for name in APP_SERVERS}
    assert "flaskstack-demo.nightly.timer" in timers["flaskstack-multihost-app1"]
    assert "flaskstack-demo.nightly.timer" not in timers["flaskstack-multihost-app2"]
    assert all("flaskstack-demo.everywhere.timer" in listed for listed in timers.values()), timers


def test_balancer_config_has_passive_health_checks(host):
    config = host.file("/etc/nginx/sites-enabled/flaskstack-loadbalancer.conf").content_string
    servers = [line for line in config.splitlines() if line.strip().startswith("server ") and ":81 " in line]
    assert len(servers) == len(APP_SERVERS)
    assert all("max_fails=3 fail_timeout=10s" in line for line in servers)
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in config


def test_app_servers_enqueue_jobs_in_redis_on_its_own_host(host, site):
    _default, found = addresses(DB)
    (private,) = in_network(found, PRIVATE)
    (public,) = in_network(found, PUBLIC)
    answered = set()
    for _attempt in range(6):
        enqueued = json.loads(site.curl("/jobs", "-XPOST"))
        assert enqueued["queue"] == "RedisHuey", enqueued
        answered.add(enqueued["hostname"])
    assert answered == set(APP_SERVERS.values())
    server = app_server(DB)
    # The queue's keys are there, under the app's own user.
    assert server.check_output("redis-cli -u 'redis://demo:%s@127.0.0.1:6379/0' --no-auth-warning --scan "
                               "--pattern 'huey.*demo*'" % REDIS_SECRET)
    assert listeners(server, 6379) == sorted(["127.0.0.1", private])
    # Any other host meets a password first; the public address does not answer.
    assert probe(host, private, 6379).startswith("-NOAUTH")
    assert probe(host, public, 6379).startswith("unreachable")


@pytest.mark.parametrize("name", ["flaskstack-multihost-lb", "flaskstack-multihost-app2", DB])
def test_these_servers_were_deployed_over_ssh_as_deploy_with_sudo(name):
    server = app_server(name)
    logins = server.check_output("journalctl --no-pager -o cat -u ssh")
    accepted = [line for line in logins.splitlines() if line.startswith("Accepted ")]
    assert accepted and all(line.startswith("Accepted publickey for deploy ") for line in accepted), accepted
    sudo = server.check_output("journalctl --no-pager -o cat _COMM=sudo")
    assert re.search(r"^\s*deploy : .*USER=root ; COMMAND=", sudo, re.M), sudo[-2000:]
    if name == "flaskstack-multihost-app2":
        # Under supervisor, beside an app server under systemd.
        assert server.check_output("supervisorctl status flaskstack-demo").split()[1] == "RUNNING"
        assert server.run("systemctl cat flaskstack-demo.service").rc != 0
