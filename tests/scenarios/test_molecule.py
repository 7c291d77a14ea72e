"""Each molecule scenario, run whole: create, converge, idempotence, verify, destroy.

A scenario passes when molecule exits 0 and its testinfra run recorded at
least one test and no failure. The counts are printed at the end of the run.
"""

import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from conftest import ROOT

SCENARIOS = sorted(
    name for name in os.listdir(os.path.join(ROOT, "molecule"))
    if os.path.isfile(os.path.join(ROOT, "molecule", name, "molecule.yml"))
)
RESULTS = os.path.join(ROOT, ".cache", "results")
TESTINFRA_COUNTS = {}
# Lines the testinfra tests print to report a figure ("load: sent=... failed=0").
FIGURES = {}
FIGURE_PREFIXES = ("load:", "failover:", "recovery:", "exposure:", "memory:", "bad input:", "renewal:", "tls:")


def junit_figures(junit_path):
    """The figure lines the tests printed, in order, from the junit report."""
    lines = []
    for case in ET.parse(junit_path).iter("testcase"):
        for out in case.iter("system-out"):
            lines += [line for line in (out.text or "").splitlines() if line.startswith(FIGURE_PREFIXES)]
    return lines


def junit_counts(junit_path):
    tree = ET.parse(junit_path)
    counts = dict(tests=0, failures=0, errors=0, skipped=0)
    for suite in tree.iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    return counts


def unavailable_images(scenario):
    """Images the scenario needs that are neither here nor pullable, with why."""
    with open(os.path.join(ROOT, "molecule", scenario, "molecule.yml")) as handle:
        platforms = yaml.safe_load(handle)["platforms"]
    missing = []
    for image in sorted({platform["image"] for platform in platforms}):
        if subprocess.run(["docker", "image", "inspect", image], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0:
            continue
        pull = subprocess.run(["docker", "pull", "--quiet", image], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, timeout=600, check=False)
        if pull.returncode != 0:
            missing.append("%s (docker pull failed)" % image)
    return missing


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario):
    missing = unavailable_images(scenario)
    if missing:
        pytest.skip("images cannot be had on this machine (no container registry): %s" % "; ".join(missing))
    os.makedirs(RESULTS, exist_ok=True)
    junit = os.path.join(RESULTS, "testinfra-%s.xml" % scenario)
    log = os.path.join(RESULTS, "molecule-%s.log" % scenario)
    if os.path.exists(junit):
        os.remove(junit)
    env = dict(os.environ)
    # Reaches the testinfra pytest that molecule's verify step starts.
    env["PYTEST_ADDOPTS"] = "--junitxml=%s -o junit_logging=system-out -p no:cacheprovider" % junit
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
    with open(log, "w") as out:
        proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, env=env,
                              stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
    with open(log) as handle:
        tail = "".join(handle.readlines()[-150:])
    assert proc.returncode == 0, "molecule test -s %s failed (log: %s):\n%s" % (scenario, log, tail)
    assert os.path.exists(junit), "scenario %s ran no testinfra tests (log: %s)" % (scenario, log)
    counts = junit_counts(junit)
    TESTINFRA_COUNTS[scenario] = counts
    FIGURES[scenario] = junit_figures(junit)
    assert counts["tests"] > 0, "scenario %s ran no testinfra tests" % scenario
    assert counts["failures"] == 0 and counts["errors"] == 0, counts
