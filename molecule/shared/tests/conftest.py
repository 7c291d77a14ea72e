"""Helpers for the site checks: what a user would do with curl, ps and ss."""

import json
import os
import re
import resource
import subprocess
import time

import pytest

APP = "demo"
SERVICE = "flaskstack-demo"
SITE = "http://localhost:81"
# The order the modules run in. First the checks of the host as the scenario
# converged it, then the ones that change it and put it back, then the ones
# that deploy code of their own: the last of those need not restore the demo
# app, which saves a converge each.
MODULE_ORDER = ("test_site", "test_hardening", "test_command", "test_backing_services", "test_schedules", "test_faults", "test_bad_input",
                "test_multiapp", "test_switch_process_manager", "test_environment", "test_releases", "test_app_sources", "test_real_app")


def pytest_collection_modifyitems(items):
    def position(item):
        name = item.module.__name__.rpartition(".")[2]
        assert name in MODULE_ORDER, "%s is missing from MODULE_ORDER in conftest.py" % name
        return MODULE_ORDER.index(name)

    items.sort(key=position)


class Site:
    """The converged host, seen from inside it as a user with a shell would."""

    def __init__(self, host):
        self.host = host

    def curl(self, path, *args):
        cmd = self.host.run("curl -sS --max-time 10 %s %s%s", " ".join(args), SITE, path)
        assert cmd.rc == 0, "curl %s failed: %s" % (path, cmd.stderr)
        return cmd.stdout

    def get(self, path, headers=None):
        """GET path through nginx; returns (status, body)."""
        argv = ["curl", "-sS", "--max-time", "10", "-o", "/dev/stdout", "-w", "\n%{http_code}"]
        for name, value in (headers or {}).items():
            argv += ["-H", "%s: %s" % (name, value)]
        argv.append(SITE + path)
        cmd = self.host.run(" ".join("'%s'" % part.replace("'", "'\\''") for part in argv))
        assert cmd.rc == 0, "curl %s failed: %s" % (path, cmd.stderr)
        body, _sep, status = cmd.stdout.rpartition("\n")
        return int(status), body

    def demo(self, headers=None):
        status, body = self.get("/demo", headers)
        assert status == 200, body
        return json.loads(body)

    def job(self, timeout=30):
        """Enqueues a job through the site (the demo app's POST /jobs) and
        waits for a worker of the app (app_processes) to run it: the job's
        result, which names the release, user and process that ran it."""
        job_id = json.loads(self.curl("/jobs", "-XPOST"))["id"]
        results = []

        def done():
            status, body = self.get("/jobs/%s" % job_id)
            results.append(json.loads(body))
            return status == 200

        self.wait_for(done, timeout=timeout, what="a worker to run job %s" % job_id)
        return results[-1]

    def processes(self):
        """[(pid, ppid, user, args)] of every process."""
        out = self.host.check_output("ps -eo pid=,ppid=,user=,args=")
        rows = []
        for line in out.splitlines():
            pid, ppid, user, args = line.split(None, 3)
            rows.append((int(pid), int(ppid), user, args))
        return rows

    def gunicorn_processes(self):
        return [row for row in self.processes() if "bin/gunicorn" in row[3]]

    def gunicorn_masters(self):
        pids = {row[0] for row in self.gunicorn_processes()}
        return [row for row in self.gunicorn_processes() if row[1] not in pids]

    def wait_for(self, predicate, timeout=30, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(1)
        raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))


def only_in_scenarios(*scenarios, why):
    """Skips the calling test module outside the named molecule scenarios, saying why."""
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "")
    if scenario not in scenarios:
        pytest.skip("runs in the %s scenario(s) only, not %s: %s" % ("/".join(scenarios), scenario or "this run", why))


@pytest.fixture()
def site(host):
    return Site(host)


@pytest.fixture()
def process_manager(host):
    return host.ansible.get_variables().get("flaskstack_process_manager", "systemd")


def gunicorn_config(host):
    """(config path, graceful timeout) of the demo app, as the scenario sets them: the
    supervisor and debian13 scenarios give the app an entry of flaskstack_apps with its own."""
    entries = host.ansible.get_variables().get("flaskstack_apps") or [{}]
    entry = entries[0]
    return (entry.get("gunicorn_config_path", "/etc/flaskstack/%s/gunicorn.conf.py" % APP),
            int(entry.get("gunicorn_graceful_timeout", 30)))


def run_playbook(*extra, playbook=None):
    """Run the scenario's converge playbook (or another) from the controller, as molecule does."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    project = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(scenario)))
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(project, "collections"))
    # Molecule forces colour; the recap is parsed as plain text.
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    converge = os.path.join(project, "molecule", "shared", "converge.yml")
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], playbook or converge] + list(extra)
    proc = run_noted(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     universal_newlines=True, timeout=900)
    return proc.returncode, proc.stdout


def run_noted(argv, **kwargs):
    """subprocess.run(argv, check=False, **kwargs) for an ansible-playbook run of the checks, noted
    for the runner's table (tests/scenarios/test_molecule.py); the caller checks the result."""
    started, cpu = time.monotonic(), _children_cpu()
    proc = subprocess.run(argv, check=False, **kwargs)
    _note_run(argv, time.monotonic() - started, _children_cpu() - cpu, proc.stdout or "")
    return proc


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _note_run(argv, seconds, cpu, output):
    """One line per ansible-playbook run: which test, its wall seconds, the controller's CPU
    seconds (every child of this process reaped meanwhile) and its task results."""
    path = os.environ.get("FLASKSTACK_PLAYBOOK_LOG")
    if not path:
        return
    recap_lines = output.rpartition("PLAY RECAP")[2]
    results = sum(int(n) for n in re.findall(r"\b(?:ok|failed|skipped|rescued|ignored)=(\d+)", recap_lines))
    with open(path, "a") as log:
        log.write(json.dumps(dict(test=os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0], argv=argv[3:],
                                  seconds=round(seconds, 2), cpu=round(cpu, 2), results=results)) + "\n")


def listeners(host, port):
    """The addresses a TCP port listens on, as ss gives them, sorted ([::1] for IPv6)."""
    out = host.check_output("ss -ltnH 'sport = :%d'" % port)
    return sorted(line.split()[3].rsplit(":", 1)[0] for line in out.splitlines())


def recap(output):
    """The counters of the PLAY RECAP line, as a dict."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, "no PLAY RECAP in output:\n" + output[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def restart_container(host, url, answer, *curl_args):
    """Halts the container cleanly and starts it again, with no Ansible run;
    returns the seconds from its start until url answers answer (curl inside it)."""
    name = host.ansible.get_variables()["inventory_hostname"]

    def started_at():
        return subprocess.run(["docker", "inspect", "-f", "{{.State.StartedAt}}", name], stdout=subprocess.PIPE,
                              universal_newlines=True, check=True).stdout.strip()

    first_start = started_at()
    # SIGRTMIN+3 asks systemd (PID 1) for a clean halt, as `docker stop` of a systemd container should.
    subprocess.run(["docker", "kill", "--signal", "SIGRTMIN+3", name], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["docker", "wait", name], check=True, stdout=subprocess.DEVNULL, timeout=120)
    started = time.monotonic()
    subprocess.run(["docker", "start", name], check=True, stdout=subprocess.DEVNULL)
    deadline = started + 120
    while time.monotonic() < deadline:
        probe = subprocess.run(["docker", "exec", name, "curl", "-sf", "--max-time", "2"] + list(curl_args) + [url],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        if probe.returncode == 0 and probe.stdout == answer:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("%s did not answer within 120 s of the container's start" % url)
    assert started_at() != first_start, "the container did not restart"
    return time.monotonic() - started


def write_file(host, path, text):
    """Writes text to path inside the container (a script the tests run there)."""
    cmd = host.run("cat > %s <<'FLASKSTACK_EOF'\n%s\nFLASKSTACK_EOF" % (path, text))
    assert cmd.rc == 0, cmd.stderr


LOAD_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "load_client.py")


class LoadLoop:
    """load_client.py running in the background inside a container.

    By default it sends a steady 50 requests a second: enough that every second
    of a deploy is covered, without taking the cores the deploy needs (as fast
    as the threads could, a deploy took 1 to 3 minutes instead of seconds).
    rate=0 sends as fast as the threads can, for load tests."""

    def __init__(self, host, url, host_header="", name="load", threads=4, max_seconds=120, cafile="", rate=50):
        self.host = host
        self.name = name
        self.prefix = "/tmp/flaskstack-%s" % name
        with open(LOAD_CLIENT) as handle:
            write_file(self.host, self.prefix + ".py", handle.read())
        self.host.run("rm -f %s.stop %s.json" % (self.prefix, self.prefix))
        cmd = self.host.run(
            "setsid nohup python3 %s.py --url %s --host-header '%s' --stop-file %s.stop --threads %d --max-seconds %s"
            " --rate %s --cafile '%s' > %s.json 2> %s.err < /dev/null &" % (
                self.prefix, url, host_header, self.prefix, threads, max_seconds, rate, cafile, self.prefix,
                self.prefix))
        assert cmd.rc == 0, cmd.stderr

    def stop(self, linger=3):
        """Lets the loop run `linger` more seconds, stops it, returns its stats."""
        time.sleep(linger)
        self.host.run("touch %s.stop" % self.prefix)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            out = self.host.run("cat %s.json", self.prefix).stdout.strip()
            if out:
                stats = json.loads(out)
                print("load: %s sent=%d failed=%d seconds=%s releases=%s errors=%s" % (
                    self.name, stats["sent"], stats["failed"], stats["seconds"], stats["releases"], stats["errors"]))
                return stats
            time.sleep(1)
        raise AssertionError("the load loop did not stop: %s" % self.host.run("cat %s.err", self.prefix).stdout)
