"""Each molecule scenario, run whole: create, converge, idempotence, verify; the
runner removes the scenario's containers itself before and after (faster than
molecule's destroy playbook, which `molecule test` by hand still runs).

A scenario passes when molecule exits 0, its testinfra run recorded no failure
and at least its floor of passed checks (FLOORS). What each one took and
counted is recorded on its test report, so that the table at the end of the
run (tests/conftest.py) gets it from every xdist worker.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest
import yaml

from conftest import ROOT

SCENARIOS = sorted(
    name for name in os.listdir(os.path.join(ROOT, "molecule"))
    if os.path.isfile(os.path.join(ROOT, "molecule", name, "molecule.yml"))
)
RESULTS = os.path.join(ROOT, ".cache", "results")
# The fewest testinfra checks each scenario must pass: the counts before the
# suite was made faster (issue 15), raised as scenarios gained checks, and
# lowered only where checks moved on purpose (default: the code sources to
# Debian 11 and 13; debian13: the switch and the hand-made package to Debian
# 11, for the real app). A
# scenario that loses a check, or whose checks are skipped, fails here. Raise
# a floor when a scenario gains checks.
FLOORS = {
    "debian11": 46,
    "debian13": 54,
    "default": 167,
    "multihost": 19,
    "supervisor": 63,
    "tls": 18,
    "ubuntu": 0,  # declared only: its images cannot be pulled here (skipped, with the reason)
}
# Minutes each scenario took in the last full run. Only the order matters:
# the longest start first (tests/conftest.py), so none is left alone at the end.
MINUTES = {"default": 14, "debian11": 7.5, "supervisor": 7.5, "debian13": 7, "tls": 5, "multihost": 4, "ubuntu": 0}
# Images built here (scripts/build-image.sh) are never pulled: a missing one is a failure.
LOCAL_IMAGES = "flaskstack/"
# Seconds a pull of another image may take before the scenario is skipped as unavailable.
PULL_SECONDS = 30
# A hang fails where it happens instead of holding the whole run: an Ansible
# task (seconds), a testinfra check, a whole scenario.
TASK_TIMEOUT = 300
CHECK_TIMEOUT = 600
SCENARIO_TIMEOUT = 2400
# Lines the testinfra tests print to report a figure ("load: sent=... failed=0").
FIGURE_PREFIXES = ("load:", "failover:", "recovery:", "exposure:", "memory:", "bad input:", "renewal:", "tls:")
# molecule announces each step: "INFO     [default > converge] Executing".
STEP = re.compile(r"\[([\w-]+) > (\w+)\] Executing")


def junit_results(junit_path):
    """(counts, figure lines, [(seconds, check)]) from a testinfra junit report."""
    tree = ET.parse(junit_path)
    counts = dict(tests=0, failures=0, errors=0, skipped=0)
    for suite in tree.iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    figures, times = [], []
    for case in tree.iter("testcase"):
        times.append((float(case.get("time", 0)), "%s::%s" % (case.get("classname", ""), case.get("name", ""))))
        for out in case.iter("system-out"):
            figures += [line for line in (out.text or "").splitlines() if line.startswith(FIGURE_PREFIXES)]
    return counts, figures, times


def playbook_runs(path):
    """(runs, wall seconds, controller CPU seconds, task results) of the checks' ansible-playbook runs."""
    if not os.path.exists(path):
        return (0, 0.0, 0.0, 0)
    with open(path) as handle:
        runs = [json.loads(line) for line in handle if line.strip()]
    return (len(runs), sum(run["seconds"] for run in runs), sum(run["cpu"] for run in runs),
            sum(run["results"] for run in runs))


def platforms_of(scenario):
    with open(os.path.join(ROOT, "molecule", scenario, "molecule.yml")) as handle:
        return yaml.safe_load(handle)["platforms"]


def unavailable_images(scenario):
    """Images the scenario needs that cannot be had, with why; fails for a missing local image."""
    missing = []
    for image in sorted({platform["image"] for platform in platforms_of(scenario)}):
        if subprocess.run(["docker", "image", "inspect", image], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0:
            continue
        assert not image.startswith(LOCAL_IMAGES), (
            "image %s is missing: `make image` builds it (scripts/build-image.sh); a scenario without "
            "its Debian image fails, it is never skipped" % image)
        try:
            pull = subprocess.run(["docker", "pull", "--quiet", image], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, universal_newlines=True, timeout=PULL_SECONDS,
                                  check=False)
            if pull.returncode != 0:
                missing.append("%s (docker pull failed: %s)" % (image, pull.stdout.strip().splitlines()[-1:]))
        except subprocess.TimeoutExpired:
            missing.append("%s (docker pull gave no answer within %d s)" % (image, PULL_SECONDS))
    return missing


def remove_containers(scenario):
    """Removes the scenario's containers and networks, as molecule's destroy would.

    One `docker rm -f` takes well under a second; molecule's destroy playbook took
    13-21 s a scenario, run twice (first and last step of `molecule test`)."""
    platforms = platforms_of(scenario)
    names = [platform["name"] for platform in platforms]
    subprocess.run(["docker", "rm", "--force", "--volumes"] + names, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    networks = sorted({net["name"] for platform in platforms for net in platform.get("networks", ())})
    for network in networks:
        if subprocess.run(["docker", "network", "inspect", network], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0:
            subprocess.run(["docker", "network", "rm", network], stdout=subprocess.DEVNULL, check=True)
    left = subprocess.run(["docker", "ps", "--all", "--quiet"] + ["--filter=name=^%s$" % name for name in names],
                          stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.split()
    assert not left, "containers of scenario %s could not be removed: %s" % (scenario, left)


def run_molecule(scenario, junit, log, playbook_log):
    """Runs `molecule test -s scenario` into log; returns (exit code, seconds per step).

    The runner removes the scenario's containers itself, before and after, and
    gives molecule a fresh state directory: molecule's own destroy steps are
    left out (--destroy never). `molecule test -s scenario` by hand runs them.
    A run that outlasts SCENARIO_TIMEOUT is killed with everything it started."""
    remove_containers(scenario)
    state = os.path.join(ROOT, ".cache", "molecule", scenario)
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    env = dict(os.environ)
    env["MOLECULE_EPHEMERAL_DIRECTORY"] = state
    # Reaches the testinfra pytest that molecule's verify step starts.
    env["PYTEST_ADDOPTS"] = "--junitxml=%s -o junit_logging=system-out -p no:cacheprovider --timeout=%d" % (
        junit, CHECK_TIMEOUT)
    env["ANSIBLE_TASK_TIMEOUT"] = str(TASK_TIMEOUT)
    # Each ansible-playbook run of the checks notes itself here (molecule/shared/tests/conftest.py).
    env["FLASKSTACK_PLAYBOOK_LOG"] = playbook_log
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
    steps, step, step_started = {}, None, time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen(["molecule", "test", "-s", scenario, "--destroy", "never"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True, errors="replace",
                                start_new_session=True)
        watchdog = threading.Timer(SCENARIO_TIMEOUT, os.killpg, (proc.pid, signal.SIGKILL))
        watchdog.start()
        try:
            for line in proc.stdout:
                out.write(line)
                match = STEP.search(line)
                if match and match.group(1) == scenario:
                    now = time.monotonic()
                    if step:
                        steps[step] = steps.get(step, 0) + now - step_started
                    step, step_started = match.group(2), now
            proc.wait()
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            remove_containers(scenario)
        if proc.returncode == -signal.SIGKILL:
            out.write("\nflaskstack: molecule test -s %s was stopped after %d s\n" % (scenario, SCENARIO_TIMEOUT))
    if step:
        steps[step] = steps.get(step, 0) + time.monotonic() - step_started
    return proc.returncode, steps


def ordering_weight(item):
    """Minutes this item is expected to take (tests/conftest.py starts the longest first)."""
    callspec = getattr(item, "callspec", None)
    return MINUTES.get(callspec.params.get("scenario"), 0) if callspec else 0


@pytest.mark.timeout(SCENARIO_TIMEOUT + 120)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, record_property):
    started = time.monotonic()
    record_property("scenario", scenario)
    record_property("floor", FLOORS[scenario])
    missing = unavailable_images(scenario)
    if missing:
        record_property("seconds", time.monotonic() - started)
        pytest.skip("images cannot be had on this machine (no container registry): %s" % "; ".join(missing))
    os.makedirs(RESULTS, exist_ok=True)
    junit = os.path.join(RESULTS, "testinfra-%s.xml" % scenario)
    log = os.path.join(RESULTS, "molecule-%s.log" % scenario)
    playbook_log = os.path.join(RESULTS, "playbooks-%s.jsonl" % scenario)
    for stale in (junit, playbook_log):
        if os.path.exists(stale):
            os.remove(stale)
    returncode, steps = run_molecule(scenario, junit, log, playbook_log)
    record_property("seconds", time.monotonic() - started)
    record_property("steps", steps)
    record_property("playbooks", playbook_runs(playbook_log))
    if os.path.exists(junit):
        counts, figures, times = junit_results(junit)
        record_property("counts", counts)
        record_property("figures", figures)
        record_property("slowest", sorted(times, reverse=True)[:5])
    with open(log) as handle:
        tail = "".join(handle.readlines()[-150:])
    assert returncode == 0, "molecule test -s %s failed (log: %s):\n%s" % (scenario, log, tail)
    assert os.path.exists(junit), "scenario %s ran no testinfra tests (log: %s)" % (scenario, log)
    assert counts["failures"] == 0 and counts["errors"] == 0, counts
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    assert passed >= FLOORS[scenario] and passed > 0, (
        "scenario %s passed %d testinfra checks, fewer than its floor of %d (%d skipped): a check was lost "
        "or skipped (log: %s)" % (scenario, passed, FLOORS[scenario], counts["skipped"], log))
