"""make bench's report: the machine-readable line, the goals' verdicts and the
doc, from one run's figures (the chart is left out: matplotlib is bench-only)."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import bench_report  # noqa: E402 pylint: disable=wrong-import-position

LINE = re.compile(r"^bench: cold_vs_floor=[\d.]+ warm_s=[\d.]+ warm_tasks=\d+ serve_vs_seed=[\d.]+ p99_vs_seed=[\d.]+ "
                  r"proxy_vs_ceiling=[\d.]+ scale3_vs_1=[\d.]+$")
LEVERS = ("max-requests-1000", "tmp-on-disk", "tcp", "accesslog-journal", "nginx-log-buffer", "preload",
          "workers-3", "workers-9", "gthread-keepalive", "no-syscall-filter")


def serve(rps, p99):
    return dict(rps=rps, p50=p99 / 2, p99=p99, errors=0, rounds=[rps * 0.98, rps, rps * 1.02])


def figures(**overrides):
    data = dict(
        machine=dict(cpu="cpu", cores=2, mem_gib=24.0, kernel="6", docker="20", ansible="ansible [core 2.19]"),
        date="2026-11-21", packages=["python3", "nginx"], seconds=10, rounds=3, lever_rounds=2, bench_s=600.0, versions=["nginx/1.22"],
        floor_s=10.0,
        cold=dict(seconds=30.0, recap={"h": dict(ok=140, changed=60, failed=0)}, ran=150, slowest=[("apt", 0.6)]),
        warm=dict(seconds=8.0, recap={"h": dict(ok=117, changed=0, failed=0)}, ran=150, slowest=[("apt", 0.6)]),
        warm_nopipe=dict(seconds=11.0),
        scale3=dict(seconds=36.0),
        serve={"defaults": serve(13000, 6.0), "seed-literal": serve(10000, 9.0),
               "ceiling": serve(300000, 2.0), "gunicorn-direct": serve(12500, 6.5)},
        levers=dict({lever: dict(serve(12000, 8.0), what=lever) for lever in LEVERS},
                    defaults=dict(serve(13000, 6.0), what="none")),
        memory=dict(idle=dict(nginx=12.0, gunicorn=170.0), loaded=dict(nginx=16.0, gunicorn=180.0)),
    )
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
    assert out[-1] == ("bench: cold_vs_floor=3.00 warm_s=8.0 warm_tasks=150 serve_vs_seed=1.30 p99_vs_seed=0.67 "
                       "proxy_vs_ceiling=0.04 scale3_vs_1=1.20")
    assert out[-1] in doc and "![bench chart](performance.png)" in doc


def test_each_goal_says_met_or_by_how_much_it_is_missed(tmp_path, monkeypatch, capsys):
    doc, _out = render(tmp_path, monkeypatch, capsys, figures())
    assert "cold converge, 1 server" in doc and "<= 1.5 x floor: missed by 100%" in doc
    assert "<= 10 s: met; changed=0; 150 task results, <= 110: missed by 36%" in doc
    assert "goals >= 1.3 and < 1: met, met" in doc
    assert "<= 1.5 x 1 server: 1.20, met" in doc


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
