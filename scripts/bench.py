"""make bench: how fast the collection converges and how fast the site serves.

Everything runs on fresh Debian 12 containers (the image `make image` builds),
in one run, so the figures are ratios between setups measured side by side:

1. Provisioning: the floor (the same packages by plain apt-get and pip in a
   fresh container), a cold converge of site.yml, a warm re-run; then what a
   user runs most: a deploy of a one-line code change, a deploy that adds a
   requirement, and the rollback playbook (which must bring the old packages
   back); the warm run and the code deploy again over SSH, as deploy with sudo.
2. Serving: wrk inside the converged container, 64 connections, against the
   collection's defaults, the seed-literal setup of the blog posts, nginx
   answering by itself (the ceiling) and gunicorn without nginx; then each
   tuning lever, one at a time, on top of the defaults. The same for the demo
   app's I/O-bound endpoint (/io, which waits 50 ms as a database query
   would), with the defaults, the seed, and the I/O profile the README
   recommends (flaskstack_worker_class: gevent, converged by the collection).
3. Scale: a cold converge of three app servers at once.
4. Memory: RSS of nginx and gunicorn at idle and after the load.

It prints a table, writes docs/performance.md and docs/performance.png, and
ends with one machine-readable line:
bench: cold_vs_floor=<x> warm_s=<s> warm_tasks=<n> deploy_s=<s> deploy_tasks=<n> requirement_s=<s>
rollback_s=<s> rollback_restores_packages=<0|1> ssh_warm_s=<s> ssh_deploy_s=<s> serve_vs_seed=<x>
p99_vs_seed=<x> proxy_vs_ceiling=<x> io_vs_seed=<x> io_p99_ms=<ms> scale3_vs_1=<x>
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

import yaml

import bench_report

ROOT = bench_report.ROOT
WORK = os.path.dirname(bench_report.RESULTS)
IMAGE = "flaskstack/debian:12"
PREFIX = "fsbench-"

# The demo app as the collection installs it (shipped inventory, defaults).
APP = "demo"
APP_ROOT = "/srv/flaskstack/" + APP
APP_CONF = "/etc/flaskstack/%s/gunicorn.conf.py" % APP
APP_SITE = "/etc/nginx/sites-available/flaskstack-%s.conf" % APP
SERVICE = "flaskstack-" + APP

# The blog posts' setup: gunicorn -w 4 on TCP, nginx proxy_pass to it, no
# upstream keepalive; and nginx answering by itself, the proxy's ceiling.
SEED_SITE = """\
server {
    listen 82;
    location / {
        proxy_pass http://127.0.0.1:5000;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
server {
    listen 83;
    location / {
        return 200 "Hello World!\\n";
    }
}
"""

# One change on top of the defaults each: (name, what it tests, gunicorn
# config lines appended (later lines win in a Python config), nginx site edits
# as (pattern, replacement) on the rendered site[, the service's systemd
# drop-in[, the socket's]]).
LEVERS = [
    # The defaults again in every round: each lever is compared with them, not
    # with the earlier runs, so a machine that slows down mid-run skews nothing.
    ("defaults", "none: the defaults as converged, measured again in each round", [], []),
    ("max-requests-1000", "worker replaced every 1000 requests (+ jitter 100), the old default",
     ["max_requests = 1000", "max_requests_jitter = 100"], []),
    ("tmp-on-disk", "worker_tmp_dir unset: heartbeat file in the private /tmp, on disk",
     ["worker_tmp_dir = None"], []),
    # systemd holds gunicorn's socket (socket activation): the socket unit
    # listens on TCP instead, and gunicorn takes what it is handed.
    ("tcp", "gunicorn on 127.0.0.1:8000 instead of the unix socket",
     ["bind = ['127.0.0.1:8000']"],
     [(r"server unix:\S+", "server 127.0.0.1:8000")], None,
     "[Socket]\nListenStream=\nListenStream=127.0.0.1:8000\n"),
    ("accesslog-journal", "gunicorn's access log to the journal too, the old default",
     ["accesslog = '-'"], []),
    ("nginx-log-buffer", "nginx access log buffered (buffer=64k flush=1s)",
     [], [(r"(\n    location / \{)", r"\n    access_log /var/log/nginx/access.log combined buffer=64k flush=1s;\1")]),
    ("preload", "preload_app = True",
     ["preload_app = True"], []),
    ("workers-3", "3 workers instead of 2 x cores + 1",
     ["workers = 3"], []),
    ("workers-9", "9 workers instead of 2 x cores + 1",
     ["workers = 9"], []),
    ("gthread-keepalive", "gthread, 4 threads, nginx keeps 16 upstream connections",
     ["worker_class = 'gthread'", "threads = 4"],
     [(r"(fail_timeout=0;)", r"\1\n    keepalive 16;")]),
    ("no-syscall-filter", "the service's SystemCallFilter lifted (the rest of the sandbox stays)",
     [], [], "[Service]\nSystemCallFilter=\n"),
]
DROPIN = "/etc/systemd/system/%s.service.d/zz-bench-lever.conf" % SERVICE
SOCKET_DROPIN = "/etc/systemd/system/%s.socket.d/zz-bench-lever.conf" % SERVICE


def log(message):
    print("bench: %s" % message, flush=True)


def run(cmd, check=True, timeout=1800):
    """Run a command and return its output; with check, a failure prints it and ends the bench."""
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout or "")
        raise SystemExit("bench: failed (%d): %s" % (result.returncode, " ".join(cmd)))
    return result.stdout or ""


def dexec(name, script, check=True, timeout=1800):
    return run(["docker", "exec", name, "bash", "-c", script], check=check, timeout=timeout)


def start(name, publish=()):
    """A fresh container from the test image, systemd as PID 1 (see ENVIRONMENT)."""
    run(["docker", "rm", "-f", name], check=False)
    ports = [argument for port in publish for argument in ("-p", "127.0.0.1::%d" % port)]
    run(["docker", "run", "-d", "--name", name, "--hostname", name,
         "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns", "host",
         "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock"]
        + ports + [IMAGE, "/lib/systemd/systemd"])
    for _attempt in range(60):
        state = dexec(name, "systemctl is-system-running || true", check=False).strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    raise SystemExit("bench: %s: systemd did not come up" % name)


def cleanup():
    names = run(["docker", "ps", "-aq", "--filter", "name=^" + PREFIX], check=False).split()
    if names:
        run(["docker", "rm", "-f"] + names, check=False)


def inventory(label, hosts, ssh=None):
    """The shipped inventory's group_vars with the bench containers as webservers,
    over the docker connection, or over SSH with ssh's host variables."""
    path = os.path.join(WORK, "inventory-" + label)
    os.makedirs(path, exist_ok=True)
    link = os.path.join(path, "group_vars")
    if not os.path.islink(link):
        os.symlink(os.path.join(ROOT, "inventory", "group_vars"), link)
    how = ssh or {"ansible_connection": "community.docker.docker"}
    data = {"all": {"children": {
        "webservers": {"hosts": {h: dict(how) for h in hosts}},
        "loadbalancers": {"hosts": {}}}}}
    with open(os.path.join(path, "hosts.yml"), "w") as handle:
        yaml.safe_dump(data, handle)
    return path


RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def converge(label, hosts, extra=(), playbook="site.yml", ssh=None, **settings):
    """site.yml (or playbook) from this checkout, as a user runs it; seconds,
    changed per host, task times."""
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="12", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **settings)
    cmd = ["ansible-playbook", playbook, "-i", inventory(label, hosts, ssh)] + list(extra)
    began = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=1800, check=False)
    seconds = time.monotonic() - began
    with open(os.path.join(WORK, "converge-%s.log" % label), "w") as handle:
        handle.write(result.stdout)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:])
        raise SystemExit("bench: converge %s failed; log in %s" % (label, WORK))
    recap = {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), failed=int(m.group(5)))
             for m in RECAP.finditer(result.stdout)}
    # profile_tasks pads a name with dashes, or leaves a long one with " --- ".
    slowest = re.findall(r"^(\S.*?) -+ (\d+\.\d+)s$", result.stdout, re.M)
    # Tasks that ran a module on a host (ok or changed), the per-task cost's multiplier.
    ran = len(re.findall(r"^(?:ok|changed): \[", result.stdout, re.M))
    return dict(seconds=seconds, recap=recap, ran=ran, slowest=[(t.strip(), float(s)) for t, s in slowest])


# What the deploys change: one line of the demo's code; then one more requirement.
EXTRA_REQUIREMENT = "six==1.16.0"
DEMO = os.path.join(ROOT, "roles", "app", "files", "demo")


# Runs of the floor, the cold and warm converges and the code-only deploy;
# the figure is their median.
REPEATS = 3
# What the floor's pip installs: the packages of the demo app the converge deploys.
FLOOR_PIP = "-r /tmp/requirements.txt gunicorn"


def app_versions():
    """On the controller: REPEATS versions of the demo app, each with a
    different line changed (code-1 ...), and the last one with one more
    requirement. "code" is the first."""
    made = {}
    labels = ["code-%d" % number for number in range(1, REPEATS + 1)]
    for number, label in enumerate(labels + ["requirement"], 1):
        path = os.path.join(WORK, "app-" + label)
        if os.path.isdir(path):
            shutil.rmtree(path)
        shutil.copytree(DEMO, path)
        with open(os.path.join(path, "app.py"), "a") as handle:
            handle.write("\n# bench: a one-line change (%d)\n" % number)
        if label == "requirement":
            with open(os.path.join(path, "requirements.txt"), "a") as handle:
                handle.write(EXTRA_REQUIREMENT + "\n")
        made[label] = ["-e", "app_source=local", "-e", "app_local_path=" + path]
    made["code"] = made["code-1"]
    made["codes"] = [made[label] for label in labels]
    return made


def median_converge(label, hosts, runs, **settings):
    """converge() once for each extra-arguments list in runs; the run of median
    seconds, with every run's seconds as samples (one run is noisy: +-0.3 s)."""
    return median_of([converge("%s-%d" % (label, number), hosts, extra, **settings)
                      for number, extra in enumerate(runs, 1)])


def median_of(results):
    """The result of median seconds, with every result's seconds as samples."""
    chosen = sorted(results, key=lambda result: result["seconds"])[len(results) // 2]
    return dict(chosen, samples=[round(result["seconds"], 2) for result in results])


def deploys(name, versions):
    """A code-only deploy, a deploy that adds a requirement, and the rollback
    playbook; whether the rollback brought back the packages of the release
    it returned to (the extra requirement gone from the live virtualenv)."""
    # Each a new release: another line changed.
    out = dict(deploy=median_converge("deploy", [name], versions["codes"]))
    log("code-only deploy %.1f s, %d task results" % (out["deploy"]["seconds"], out["deploy"]["ran"]))
    out["requirement"] = converge("requirement", [name], versions["requirement"])
    log("deploy adding a requirement %.1f s" % out["requirement"]["seconds"])
    importable = "%s/venv/bin/python -c 'import six' 2>/dev/null && echo yes || echo no" % APP_ROOT
    before = dexec(name, importable).strip()
    out["rollback"] = converge("rollback", [name], playbook="playbooks/rollback.yml")
    after = dexec(name, importable).strip()
    out["rollback_restores_packages"] = before == "yes" and after == "no"
    log("rollback %.1f s; the extra requirement importable before: %s, after: %s" % (
        out["rollback"]["seconds"], before, after))
    return out


def ssh_runs(versions):
    """A fresh container reached over SSH as deploy with passwordless sudo, as
    a real server is: a cold converge (setup), the warm run and a code-only deploy."""
    name = PREFIX + "ssh"
    start(name, publish=(22,))
    key = os.path.join(WORK, "id_bench")
    if not os.path.exists(key):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
    with open(key + ".pub") as handle:
        public = handle.read().strip()
    dexec(name, "set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; "
                "apt-get install -y -qq openssh-server sudo >/dev/null; useradd -m -s /bin/bash deploy; "
                "install -d -m 700 -o deploy -g deploy ~deploy/.ssh; echo %s > ~deploy/.ssh/authorized_keys; "
                "chown deploy: ~deploy/.ssh/authorized_keys; echo 'deploy ALL=(ALL) NOPASSWD: ALL' "
                "> /etc/sudoers.d/deploy; systemctl enable --now ssh >/dev/null 2>&1" % shlex.quote(public))
    port = run(["docker", "port", name, "22"]).split()[0].rsplit(":", 1)[1]
    ssh = dict(ansible_host="127.0.0.1", ansible_port=int(port), ansible_user="deploy",
               ansible_ssh_private_key_file=key,
               ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")
    out = dict(cold=converge("ssh-cold", [name], ssh=ssh))
    out["warm"] = median_converge("ssh-warm", [name], [[]] * REPEATS, ssh=ssh)
    out["deploy"] = median_converge("ssh-deploy", [name], versions["codes"], ssh=ssh)
    log("over SSH: warm %.1f s, code-only deploy %.1f s" % (out["warm"]["seconds"], out["deploy"]["seconds"]))
    run(["docker", "rm", "-f", name], check=False)
    return out


def packages():
    """The packages the collection's roles install for the shipped inventory."""
    with open(os.path.join(ROOT, "roles", "python", "vars", "main.yml")) as handle:
        python = yaml.safe_load(handle)["__python_packages_default"]
    return python + ["nginx", "openssl"]


def floor(apt_packages):
    """The same packages, by hand, on a fresh container: apt-get install, then
    pip install of what the converge's virtualenv gets (the demo's
    requirements and gunicorn) into a venv."""
    name = PREFIX + "floor"
    start(name)
    run(["docker", "cp", os.path.join(DEMO, "requirements.txt"), "%s:/tmp/requirements.txt" % name])
    script = ("set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; "
              "apt-get install -y -qq %s >/dev/null; python3 -m venv /srv/floor; "
              "/srv/floor/bin/pip install -q %s" % (" ".join(apt_packages), FLOOR_PIP))
    began = time.monotonic()
    dexec(name, script)
    seconds = time.monotonic() - began
    run(["docker", "rm", "-f", name], check=False)
    return dict(seconds=seconds)


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_LAT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_ERR = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_TOTAL = re.compile(r"(\d+) requests in")


def load(name, url, seconds):
    """wrk inside the container: 2 threads, 64 connections; req/s, p50, p99 (ms), errors."""
    dexec(name, "wrk -t2 -c64 -d2s %s >/dev/null" % shlex.quote(url))  # warm-up
    out = dexec(name, "wrk -t2 -c64 -d%ds --latency %s" % (seconds, shlex.quote(url)))
    scale = dict(us=0.001, ms=1.0, s=1000.0)
    lat = {p: float(v) * scale[u] for p, v, u in WRK_LAT.findall(out)}
    # wrk prints these lines only when there are errors.
    socket_errors, non2xx = WRK_ERR.search(out), WRK_NON2XX.search(out)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    errors += int(non2xx.group(1)) if non2xx else 0
    return dict(rps=float(WRK_RATE.search(out).group(1)), p50=lat["50"], p99=lat["99"],
                errors=errors, requests=int(WRK_TOTAL.search(out).group(1)))


def rss(name):
    """Resident memory (MiB) of nginx and of the demo app's gunicorn, by systemd unit."""
    keys = {"nginx.service": "nginx", SERVICE + ".service": "gunicorn"}
    total = dict.fromkeys(keys.values(), 0)
    for line in dexec(name, "ps -eo rss=,unit=").splitlines():
        kib, unit = line.split(None, 1)
        if unit.strip() in keys:
            total[keys[unit.strip()]] += int(kib)
    return {key: kib / 1024.0 for key, kib in total.items()}


def restart_app(name):
    """The app and its socket with their drop-ins as they are now, and nginx's site."""
    dexec(name, "systemctl daemon-reload && systemctl stop {0} && systemctl restart {0}.socket && systemctl start {0} "
                "&& nginx -t -q && systemctl reload nginx".format(SERVICE))
    wait_http(name, "http://127.0.0.1:81/")


def wait_http(name, url):
    for _attempt in range(60):
        if dexec(name, "curl -fsS -o /dev/null %s" % shlex.quote(url), check=False) == "":
            return
        time.sleep(0.5)
    raise SystemExit("bench: %s did not answer on %s" % (name, url))


def serving(name, seconds, rounds, lever_rounds):
    """The four setups side by side, then each lever on top of the defaults."""
    dexec(name, "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null")
    memory = dict(idle=rss(name))
    # The seed-literal gunicorn runs the same release with the same venv, as
    # the app's user, like the blog posts' `gunicorn -w 4 app:app`.
    dexec(name, "systemd-run --unit fsbench-seed --uid %s --working-directory %s/current "
                "%s/venv/bin/gunicorn -w 4 -b 127.0.0.1:5000 app:app" % (APP, APP_ROOT, APP_ROOT))
    dexec(name, "cat > /etc/nginx/sites-enabled/fsbench-seed.conf <<'EOF'\n%sEOF\n"
                "nginx -t -q && systemctl reload nginx" % SEED_SITE)
    setups = [("defaults", "http://127.0.0.1:81/"), ("seed-literal", "http://127.0.0.1:82/"),
              ("ceiling", "http://127.0.0.1:83/"), ("gunicorn-direct", "http://127.0.0.1:5000/"),
              # The I/O-bound endpoint, waiting 50 ms per request.
              ("defaults-io", "http://127.0.0.1:81/io"), ("seed-io", "http://127.0.0.1:82/io")]
    results = interleaved(name, setups, seconds, rounds)
    memory["loaded"] = rss(name)

    conf = dexec(name, "cat %s" % APP_CONF)
    site = dexec(name, "cat %s" % APP_SITE)
    levers = {lever[0]: [] for lever in LEVERS}
    for _round in range(lever_rounds):
        for lever, what, lines, edits, *dropins in LEVERS:
            new_site = site
            for pattern, replacement in edits:
                new_site, count = re.subn(pattern, replacement, new_site, count=1)
                if not count:
                    raise SystemExit("bench: lever %s: %r not in the site" % (lever, pattern))
            write(name, APP_CONF, conf + "\n# bench lever: %s\n%s\n" % (lever, "\n".join(lines)))
            write(name, APP_SITE, new_site)
            # A service drop-in, then a socket drop-in, when the lever has them.
            for path, text in zip((DROPIN, SOCKET_DROPIN), dropins + [None, None]):
                dexec(name, "mkdir -p %s && rm -f %s" % (os.path.dirname(path), path))
                if text:
                    write(name, path, text)
            restart_app(name)
            levers[lever].append(load(name, "http://127.0.0.1:81/", seconds))
            if levers[lever][-1]["errors"]:
                raise SystemExit("bench: lever %s: %d requests failed, so its figure would measure errors" % (
                    lever, levers[lever][-1]["errors"]))
            log("lever %-18s %8.0f req/s p99 %.1f ms" % (lever, levers[lever][-1]["rps"], levers[lever][-1]["p99"]))
    levers = {lever[0]: dict(median_run(levers[lever[0]]), what=lever[1]) for lever in LEVERS}
    dexec(name, "rm -f %s %s" % (DROPIN, SOCKET_DROPIN))
    write(name, APP_CONF, conf)
    write(name, APP_SITE, site)
    restart_app(name)
    return results, levers, memory


def io_profile(name, seconds, rounds, versions):
    """The I/O profile the README recommends, converged by the collection
    (flaskstack_worker_class: gevent, one variable), against the seed's sync
    workers on the same endpoint, in interleaved rounds."""
    converged = converge("io-profile", [name], versions["code"] + ["-e", "flaskstack_worker_class=gevent"])
    log("I/O profile converged in %.1f s" % converged["seconds"])
    setups = [("profile-io", "http://127.0.0.1:81/io"), ("seed-io", "http://127.0.0.1:82/io")]
    return dict(interleaved(name, setups, seconds, rounds), converge_s=converged["seconds"])


def interleaved(name, setups, seconds, rounds):
    """Each setup (label, url) answering, then loaded in interleaved rounds (a
    noisy minute hurts every setup, not one); each label's median run."""
    for _label, url in setups:
        wait_http(name, url)
    runs = {label: [] for label, _url in setups}
    for _round in range(rounds):
        for label, url in setups:
            runs[label].append(load(name, url, seconds))
            log("serve %-16s %8.0f req/s p99 %.1f ms" % (label, runs[label][-1]["rps"], runs[label][-1]["p99"]))
    return {label: median_run(r) for label, r in runs.items()}


def write(name, path, text):
    subprocess.run(["docker", "exec", "-i", name, "bash", "-c", "cat > %s" % shlex.quote(path)],
                   input=text, universal_newlines=True, check=True)


def median_run(runs):
    """Each figure's median over the rounds (a noisy round moves it least)."""
    out = {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p99")}
    return dict(out, errors=sum(r["errors"] for r in runs), rounds=[r["rps"] for r in runs])


def machine():
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kib = int(handle.readline().split()[1])
    docker = run(["docker", "version", "-f", "{{.Server.Version}}"], check=False).strip()
    # Its first line names the version; Python's warnings may come before it.
    ansible = [line for line in run(["ansible", "--version"], check=False).splitlines()
               if line.startswith("ansible ")][0]
    return dict(cpu=model, cores=os.cpu_count(), mem_gib=mem_kib / 1048576.0, kernel=platform.release(),
                docker=docker, ansible=ansible)


def versions(name):
    out = dexec(name, "nginx -v 2>&1; %s/venv/bin/gunicorn --version; %s/venv/bin/python -c "
                "'import flask, importlib.metadata as m; print(\"Flask\", m.version(\"flask\"))'; "
                "wrk -v 2>&1 | head -1" % (APP_ROOT, APP_ROOT), check=False)
    return [line.strip() for line in out.splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration of each load run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the four setups")
    parser.add_argument("--lever-rounds", type=int, default=3, help="interleaved rounds of the levers")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the three-server converge")
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    began = time.monotonic()
    cleanup()
    try:
        data = dict(machine=machine(), date=datetime.date.today().isoformat(), packages=packages(),
                    seconds=args.seconds, rounds=args.rounds, lever_rounds=args.lever_rounds)
        log("floor: apt-get install %s, pip install %s" % (" ".join(data["packages"]), FLOOR_PIP))
        floors = median_of([floor(data["packages"]) for _run in range(REPEATS)])
        data["floor_s"], data["floor_samples"] = floors["seconds"], floors["samples"]
        log("floor %.1f s (of %s)" % (data["floor_s"], data["floor_samples"]))
        one = PREFIX + "one"
        # The cold converge on fresh containers, the last one kept for what follows.
        colds = []
        for number in range(1, REPEATS + 1):
            host = one if number == REPEATS else PREFIX + "cold%d" % number
            start(host)
            colds.append(converge("cold-%d" % number, [host]))
            if host != one:
                run(["docker", "rm", "-f", host], check=False)
        data["cold"] = median_of(colds)
        log("cold converge %.1f s (of %s)" % (data["cold"]["seconds"], data["cold"]["samples"]))
        data["warm"] = median_converge("warm", [one], [[]] * REPEATS)
        log("warm converge %.1f s, changed=%d, %d task results" % (
            data["warm"]["seconds"], data["warm"]["recap"][one]["changed"], data["warm"]["ran"]))
        # The shipped ansible.cfg's pipelining, measured by turning it off.
        data["warm_nopipe"] = converge("warm-nopipelining", [one], ANSIBLE_PIPELINING="False")
        log("warm converge without pipelining %.1f s" % data["warm_nopipe"]["seconds"])
        apps = app_versions()
        data["deploys"] = deploys(one, apps)
        data["serve"], data["levers"], data["memory"] = serving(one, args.seconds, args.rounds, args.lever_rounds)
        data["io"] = io_profile(one, args.seconds, args.rounds, apps)
        data["versions"] = versions(one)
        run(["docker", "rm", "-f", one], check=False)
        data["ssh"] = ssh_runs(apps)
        if not args.skip_scale:
            three = [PREFIX + "s%d" % i for i in (1, 2, 3)]
            for host in three:
                start(host)
            data["scale3"] = converge("scale3", three)
            log("three servers cold %.1f s" % data["scale3"]["seconds"])
    finally:
        cleanup()
    data["bench_s"] = time.monotonic() - began
    with open(bench_report.RESULTS, "w") as handle:
        json.dump(data, handle, indent=1)
    bench_report.report(data)


if __name__ == "__main__":
    main()
