"""The ecosystem's own gates: ansible-test sanity and units on the collection."""

import os
import re
import subprocess
import sys

from conftest import ROOT

RESULTS = os.path.join(ROOT, ".cache", "results")


def ansible_test(*args):
    os.makedirs(RESULTS, exist_ok=True)
    log = os.path.join(RESULTS, "ansible-test-%s.log" % args[0])
    with open(log, "w") as out:
        proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "ansible-test.sh")] + list(args),
                              cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
    with open(log) as handle:
        text = handle.read()
    return proc.returncode, text, log


def test_ansible_test_sanity_passes_with_no_ignores():
    assert not os.path.exists(os.path.join(ROOT, "tests", "sanity")), "sanity ignore files are not allowed"
    rc, text, log = ansible_test("sanity")
    assert rc == 0, "ansible-test sanity failed (log: %s):\n%s" % (log, text[-6000:])
    # A missing tool makes ansible-test skip its test with only a warning.
    assert "Required program" not in text, "a sanity test was skipped for a missing program (log: %s)" % log


def unit_tests_collected():
    """How many tests pytest itself collects under tests/unit."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "tests/unit", "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    match = re.search(r"^(\d+) tests? collected", proc.stdout, re.M)
    assert proc.returncode == 0 and match, proc.stdout[-3000:]
    return int(match.group(1))


def test_ansible_test_units_pass():
    """The unit tests run here only (make test leaves tests/unit to this gate):
    every test pytest collects under tests/unit must pass under ansible-test."""
    rc, text, log = ansible_test("units", "--venv")
    assert rc == 0, "ansible-test units failed (log: %s):\n%s" % (log, text[-6000:])
    assert " skipped" not in text, "unit tests were skipped under ansible-test (log: %s)" % log
    # pytest's summary line per group: "== 195 passed in 3.1s ==", or "== 195 passed, 2 warnings in ...".
    passed = sum(int(count) for count in re.findall(r"^=+ (\d+) passed\b", text, re.M))
    collected = unit_tests_collected()
    assert passed == collected, "ansible-test units passed %d tests, tests/unit holds %d (log: %s)" % (
        passed, collected, log)
