"""Make the checkout importable as ansible_collections.flaskstack.deploy, start
the longest tests first, and end the run with the table of where the time went."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# Minutes the slow tests outside the scenarios take; the scenarios give their own
# (test_molecule.MINUTES).
MINUTES = {
    "test_installed_collection_serves_the_site_by_fqcn": 1.5,
    "test_check_mode_on_a_bare_server_says_what_it_would_do_and_changes_nothing": 0.5,
    "test_ansible_test_sanity_passes_with_no_ignores": 1,
    "test_ansible_test_units_pass": 0.3,
    "test_ansible_lint_production_profile_is_clean": 0.3,
}

NAME_WIDTH = 30


def _minutes(item):
    weight = getattr(getattr(item, "module", None), "ordering_weight", None)
    return weight(item) if weight else MINUTES.get(getattr(item, "originalname", ""), 0)


def pytest_collection_modifyitems(items):
    """Longest first, so that the xdist workers finish together.

    Each xdist worker holds the test it runs and the next one. If that next one
    is long, it waits for the running one while another worker may run dry
    (a 3-minute scenario ran alone at the end). So the first long test of each
    worker is followed by as many short tests, and every other long test by
    one: the test a worker holds is a short one, and each long test goes to the
    first worker free."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    ordered = sorted(items, key=_minutes, reverse=True)
    long = [item for item in ordered if _minutes(item)]
    short = [item for item in ordered if not _minutes(item)]
    arranged, short = long[:workers] + short[:workers], short[workers:]
    for item in long[workers:]:
        arranged += [item] + short[:1]
        short = short[1:]
    items[:] = arranged + short


def _row(name, seconds, outcome, props):
    counts = props.get("counts")
    floor = props.get("floor")
    if counts:
        failed = counts["failures"] + counts["errors"]
        passed = counts["tests"] - failed - counts["skipped"]
        numbers = "%6d %7d %6d %5s" % (passed, counts["skipped"], failed, floor)
    else:
        numbers = "%6s %7s %6s %5s" % ("-", "-", "-", "-" if floor is None else floor)
    played = props.get("playbooks")
    runs = "%4d %6.0f %5.0f" % tuple(played[:3]) if played else "%4s %6s %5s" % ("-", "-", "-")
    steps = props.get("steps") or {}
    where = " ".join("%s %.0f" % (step, steps[step]) for step in steps if steps[step] >= 1)
    return "%-*s %5.1f %s  %-7s %s  %s" % (NAME_WIDTH, name, seconds / 60, numbers, outcome, runs, where)


def _short(nodeid):
    """A slow gate's row name: its test's name without test_, cut to the column."""
    return nodeid.rsplit("::", 1)[-1][len("test_"):][:NAME_WIDTH]


def pytest_terminal_summary(terminalreporter):
    """Per scenario (and each slow gate): wall minutes, testinfra counts, floor, seconds per molecule step."""
    rows, figures, slowest = [], [], []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            props = dict(getattr(report, "user_properties", ()))
            name = props.get("scenario")
            if name is None:
                if report.duration >= 30:
                    rows.append((report.duration, _row(_short(report.nodeid), report.duration, report.outcome, {})))
                continue
            seconds = props.get("seconds", report.duration)
            rows.append((seconds, _row(name, seconds, report.outcome, props)))
            figures += ["%-12s %s" % (name, line) for line in props.get("figures", ())]
            slowest += [(seconds, name, check) for seconds, check in props.get("slowest", ())]
    if not rows:
        return
    terminalreporter.section("where the time went")
    terminalreporter.write_line("%-*s %5s %6s %7s %6s %5s  %-7s %4s %6s %5s  %s" % (
        NAME_WIDTH, "scenario or test", "min", "passed", "skipped", "failed", "floor", "result", "runs", "run-s",
        "cpu-s", "seconds per molecule step"))
    terminalreporter.write_line("(runs: the checks' own ansible-playbook runs; run-s: their wall seconds; cpu-s: "
                                "the controller's CPU seconds in them)")
    for _seconds, line in sorted(rows, reverse=True):
        terminalreporter.write_line(line)
    if slowest:
        terminalreporter.section("slowest testinfra checks")
        for seconds, name, check in sorted(slowest, reverse=True)[:15]:
            terminalreporter.write_line("%7.1f s  %-10s %s" % (seconds, name, check))
    if figures:
        terminalreporter.section("molecule scenarios: figures the tests printed")
        for line in figures:
            terminalreporter.write_line(line)
