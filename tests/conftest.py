"""Make the checkout importable as ansible_collections.flaskstack.deploy."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


def pytest_terminal_summary(terminalreporter):
    """Say what each molecule scenario's testinfra run counted."""
    module = sys.modules.get("test_molecule")
    TESTINFRA_COUNTS = getattr(module, "TESTINFRA_COUNTS", None)
    if not TESTINFRA_COUNTS:
        return
    terminalreporter.section("molecule scenarios: testinfra results")
    for scenario, counts in sorted(TESTINFRA_COUNTS.items()):
        passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
        terminalreporter.write_line(
            "%-12s %d passed, %d failed, %d skipped" % (scenario, passed, counts["failures"] + counts["errors"], counts["skipped"]))
    figures = getattr(module, "FIGURES", {})
    if any(figures.values()):
        terminalreporter.section("molecule scenarios: figures the tests printed")
        for scenario, lines in sorted(figures.items()):
            for line in lines:
                terminalreporter.write_line("%-12s %s" % (scenario, line))
