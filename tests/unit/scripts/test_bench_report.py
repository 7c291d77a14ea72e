"""make bench's report: the machine-readable line, the goals' verdicts and the
doc, from one run's figures (the chart is left out: matplotlib is bench-only)."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import bench_report  # noqa: E402 pylint: disable=wrong-import-position

LINE = re.compile(r"^bench: cold_vs_floor=[\d.]+ warm_s=[\d.]+ warm_tasks=\d+ deploy_s=[\d.]+ deploy_tasks=\d+ "
                  r"requirement_s=[\d.]+ rollback_s=[\d.]+ rollback_restores_packages=[01] ssh_warm_s=[\d.]+ "
                  r"ssh_deploy_s=[\d.]+ serve_vs_seed=[\d.]+ p99_vs_seed=[\d.]+ proxy_vs_ceiling=[\d.]+ "
                  r"io_vs_seed=[\d.]+ io_p99_ms=[\d.]+ scale3_vs_1=[\d.]+$")
LEVERS = ("max-requests-1000", "tmp-on-disk", "tcp", "accesslog-journal", "nginx-log-buffer", "preload",
          "workers-3", "workers-9", "gthread-keepalive", "no-syscall-filter")


def serve(rps, p99):
    return dict(rps=rps, p50=p99 / 2, p99=p99, errors=0, rounds=[rps * 0.98, rps, rps * 1.02])


def run_of(seconds, ran):
    return dict(seconds=seconds, recap={"h": dict(ok=ran, changed=0, failed=0)}, ran=ran, slowest=[])


def figures(**overrides):
    data = dict(
        machine=dict(cpu="cpu", cores=2, mem_gib=24.0, kernel="6", docker="20", ansible="ansible [core 2.19]"),
        date="2026-11-21", packages=["python3", "nginx"], seconds=10, rounds=3, lever_rounds=2, bench_s=600.0, versions=["nginx/1.22"],
        floor_s=10.0, floor_samples=[9.8, 10.0, 10.4],
        cold=dict(seconds=30.0, samples=[29.5, 30.0, 31.2], recap={"h": dict(ok=140, changed=60, failed=0)}, ran=150, slowest=[("apt", 0.6)]),
        warm=dict(seconds=8.0, recap={"h": dict(ok=117, changed=0, failed=0)}, ran=150, slowest=[("apt", 0.6)]),
        warm_nopipe=dict(seconds=11.0),
        scale3=dict(seconds=36.0),
        serve={"defaults": serve(13000, 6.0), "seed-literal": serve(10000, 9.0),
               "ceiling": serve(300000, 2.0), "gunicorn-direct": serve(12500, 6.5)},
        levers=dict({lever: dict(serve(12000, 8.0), what=lever) for lever in LEVERS},
                    defaults=dict(serve(13000, 6.0), what="none")),
        memory=dict(idle=dict(nginx=12.0, gunicorn=170.0), loaded=dict(nginx=16.0, gunicorn=180.0)),
        deploys=dict(deploy=run_of(9.0, 90), requirement=run_of(25.0, 95), rollback=run_of(4.0, 20),
                     rollback_restores_packages=True),
        ssh=dict(cold=run_of(40.0, 150), warm=run_of(9.6, 150), deploy=run_of(12.6, 90)),
        io=dict({"profile-io": serve(1000, 80.0), "seed-io": serve(80, 800.0)}, converge_s=30.0),
    )
    data["serve"].update({"defaults-io": serve(100, 600.0), "seed-io": serve(80, 800.0)})
    data.update(overrides)
    return data


def render(tmp_path, monkeypatch, capsys, data):
    monkeypatch.setattr(bench_report, "chart", lambda *args: None)
    doc = tmp_path / "docs" / "performance.md"
    bench_report.report(data, str(doc), str(tmp_path / "docs" / "performance.png"))
    return doc.read_text(), capsys.readouterr().out.rstrip("\n").splitlines()


def test_last_line_is_the_machine_readable_one_with_each_ratio(tmp_path, monkeypatch, capsys):
    doc, out = render(tmp_path, monkeypatch, capsys, figures())
    assert LINE.match(out[-1]), out[-1]
    assert out[-1] == ("bench: cold_vs_floor=3.00 warm_s=8.0 warm_tasks=150 deploy_s=9.0 deploy_tasks=90 "
                       "requirement_s=25.0 rollback_s=4.0 rollback_restores_packages=1 ssh_warm_s=9.6 "
                       "ssh_deploy_s=12.6 serve_vs_seed=1.30 p99_vs_seed=0.67 proxy_vs_ceiling=0.04 "
                       "io_vs_seed=12.50 io_p99_ms=80.0 scale3_vs_1=1.20")
    assert out[-1] in doc and "![bench chart](performance.png)" in doc


def test_each_goal_says_met_or_by_how_much_it_is_missed(tmp_path, monkeypatch, capsys):
    doc, _out = render(tmp_path, monkeypatch, capsys, figures())
    assert "cold converge, 1 server" in doc and "<= 2.5 x floor: missed by 20%" in doc
    assert "<= 8 s: met; changed=0; 150 task results, <= 110: missed by 36%" in doc
    assert "<= 10 s: met; 90 task results" in doc
    assert "<= 8 s: met; the old packages back: yes" in doc
    assert "<= 1.3 x docker connection: 1.20, met" in doc and "<= 1.3 x docker connection: 1.40, missed by 8%" in doc
    assert "the I/O profile 12.50 x the seed (goal >= 5: met), p99 80.0 ms (goal <= 100 ms, 2 x the wait: met)" in doc
    assert "goals >= 1.3 and < 1: met, met" in doc
    assert "<= 1.5 x 1 server: 1.20, met" in doc


def test_a_rollback_that_kept_the_new_packages_says_so(tmp_path, monkeypatch, capsys):
    data = figures()
    data["deploys"]["rollback_restores_packages"] = False
    doc, out = render(tmp_path, monkeypatch, capsys, data)
    assert "rollback_restores_packages=0" in out[-1]
    assert "the old packages back: NO" in doc and "WAS STILL importable" in doc


def test_a_run_without_the_new_parts_says_not_measured(tmp_path, monkeypatch, capsys):
    data = figures()
    for key in ("deploys", "ssh", "io"):
        del data[key]
    for label in ("defaults-io", "seed-io"):
        del data["serve"][label]
    doc, out = render(tmp_path, monkeypatch, capsys, data)
    assert "deploy_s=nan" in out[-1] and "io_vs_seed=nan" in out[-1]
    assert "### Deploys" not in doc and "### I/O-bound endpoint" not in doc


def test_a_missed_serving_goal_is_explained(tmp_path, monkeypatch, capsys):
    slow = figures()
    slow["serve"]["defaults"] = serve(11000, 10.0)
    doc, _out = render(tmp_path, monkeypatch, capsys, slow)
    assert "missed by 15%, missed" in doc
    assert "The rest of the way to 1.3 x cannot come from the proxy" in doc


def test_levers_are_compared_with_the_defaults_of_their_own_rounds(tmp_path, monkeypatch, capsys):
    doc, _out = render(tmp_path, monkeypatch, capsys, figures())
    row = [line for line in doc.splitlines() if line.startswith("| tcp ")][0]
    assert "| -8% " in row, row
    assert "Unix socket**, kept: TCP on 127.0.0.1 instead: -8%." in doc
    base = [line for line in doc.split("### Levers")[1].splitlines() if line.startswith("| defaults ")][0]
    assert "| +0% " in base, base


def test_a_figure_of_several_runs_says_it_is_their_median():
    assert bench_report.runs_of(dict(seconds=8.0, samples=[8.31, 7.96, 8.04])) == "; median of 8.3, 8.0, 8.0 s"
    assert bench_report.runs_of(dict(seconds=8.0, samples=[8.0])) == ""
    assert bench_report.runs_of(dict(seconds=8.0)) == ""


def test_the_floor_and_the_cold_converge_name_their_runs(tmp_path, monkeypatch, capsys):
    doc, _out = render(tmp_path, monkeypatch, capsys, figures())
    floor_row = [line for line in doc.splitlines() if line.startswith("| floor: apt-get + pip by hand")][0]
    cold_row = [line for line in doc.splitlines() if line.startswith("| cold converge, 1 server")][0]
    assert "| median of 9.8, 10.0, 10.4 s" in floor_row, floor_row
    assert "missed by 20%; median of 29.5, 30.0, 31.2 s" in cold_row, cold_row
    assert "`requirements.txt` and `gunicorn`" in doc
