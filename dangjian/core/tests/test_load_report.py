"""The load benchmark's report (benchmarks/load/run.py): what it reads from locust's CSV files and how it tells
where the machine's CPU went. The benchmark itself runs on demand; these are the parts a wrong figure would come
from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dangjian.core.tests.repo_files import load


@pytest.fixture(scope="module")
def run():
    return load("benchmarks/load/run.py", "load_run")


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


STATS = ["Type", "Name", "Request Count", "Failure Count", "50%", "95%", "Max Response Time", "Requests/s"]


def test_an_exception_in_a_simulated_user_counts_as_a_failure(run, tmp_path):
    """locust counts no failure for an exception in a user's own code (no request was made): a run whose users
    crashed at sign-in would look clean. The report counts them, in the totals and in the list of failures."""
    prefix = tmp_path / "capacity-1-10"
    _write(
        Path(f"{prefix}_stats.csv"),
        STATS,
        [
            ["GET", "首页", 120, 1, 200, 450, 900, 2.0],
            ["GET", "组织树展开", 0, 0, "N/A", "N/A", 0, 0],  # not asked for since the statistics restarted
            ["", "Aggregated", 120, 1, 200, 450, 900, 2.0],
        ],
    )
    _write(
        Path(f"{prefix}_failures.csv"),
        ["Method", "Name", "Error", "Occurrences"],
        [["GET", "首页", "HTTP 500", 1]],
    )
    _write(
        Path(f"{prefix}_exceptions.csv"),
        ["Count", "Message", "Traceback", "Nodes"],
        [[7, "not a valid non-string sequence or mapping object", "…", "local"]],
    )
    pages, total, failures = run.read_results(prefix)
    assert list(pages) == ["GET 首页"]
    assert pages["GET 首页"] == {
        "requests": 120,
        "failures": 1,
        "p50_ms": 200.0,
        "p95_ms": 450.0,
        "max_ms": 900.0,
        "rps": 2.0,
    }
    assert total["failures"] == 1 + 7
    assert [(f["page"], f["count"]) for f in failures] == [("首页", 1), ("（压测脚本异常）", 7)]


def test_a_clean_run_reports_no_failure(run, tmp_path):
    prefix = tmp_path / "scenario-1"
    _write(Path(f"{prefix}_stats.csv"), STATS, [["", "Aggregated", 10, 0, 50, 90, 120, 1.0]])
    _pages, total, failures = run.read_results(prefix)
    assert total["failures"] == 0 and failures == []


CPU = {
    "web": 60.0,
    "postgres": 15.0,
    "task_worker": 6.0,
    "locust": 9.0,
    "machine_busy": 95.0,
    "machine_idle": 5.0,
    "machine_steal": 0.0,
    "wall": 50.0,
}


def test_cpu_shares_are_parts_of_the_cores_time_and_the_application_cost_per_request(run):
    """2 cores × 50 s = 100 s of CPU time: each party's seconds are its share; "other" is what the machine spent
    beyond the four; the application (web, database, task worker: 81 s) over the 1,000 requests of 20 req/s × 50 s."""
    shares = run.cpu_shares({"cpu_s": CPU, "total": {"rps": 20.0}}, 2)
    assert shares["web"] == pytest.approx(0.60)
    assert shares["postgres"] == pytest.approx(0.15)
    assert shares["task_worker"] == pytest.approx(0.06)
    assert shares["locust"] == pytest.approx(0.09)
    assert shares["other"] == pytest.approx(0.05)
    assert shares["idle"] == pytest.approx(0.05)
    assert shares["app_ms_per_request"] == pytest.approx(81.0)
    assert run.cpu_shares({"cpu_s": CPU, "total": {}}, 2)["app_ms_per_request"] == 0.0  # no request: no cost


def test_the_report_shows_where_the_cpu_went_for_each_run(run):
    step = {
        "users": 10,
        "seconds": 60,
        "pages": {},
        "total": {
            "requests": 1000,
            "failures": 0,
            "p50_ms": 200.0,
            "p95_ms": 450.0,
            "max_ms": 900.0,
            "rps": 20.0,
        },
        "failures": [],
        "cpu_s": CPU,
    }
    result = {
        "date": "2026-12-06 08:13",
        "machine": {"cpus": 2, "cpu": "AMD EPYC", "memory_gb": 23.5, "load_average_before": [0.5, 0.4, 0.3]},
        "workers": 5,
        "threads": 2,
        "repeat": 1,
        "command": "benchmarks/load/run.py --only capacity",
        "scenario_runs": [],
        "capacity_runs": [{"steps": [step], "best_rps": 20.0, "memory": {}}],
    }
    text = run.markdown(result)
    assert "| 容量 10 用户 | 60 % | 15 % | 6 % | 9 % | 5 % | 5 % | 81 |" in text
    assert "p95 ≤ 500 毫秒时的最高吞吐量：20.0 请求/秒。" in text
    step.pop("cpu_s")  # a result written before the CPU was measured: no table, no error
    assert "CPU 的去向" not in run.markdown(result)


def test_a_task_worker_that_has_just_left_counts_with_its_last_reading(run, tmp_path):
    """The task worker leaves past its memory limit and is started again a second later (as systemd does): a reading
    of the CPU in that second counted it as gone and stopped the whole benchmark (psutil: no such process)."""
    import subprocess
    import sys

    import psutil

    stack = run.Stack({}, 8765, 1, 1, tmp_path)
    left = subprocess.Popen([sys.executable, "-c", "pass"])
    left.wait()
    stack.worker = left
    stack.gunicorn = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stack.worker_cpu_gone, stack._worker_cpu = 2.0, 0.5  # earlier workers, and this one's last reading
        with pytest.raises(psutil.NoSuchProcess):
            psutil.Process(left.pid)
        assert stack.cpu()["task_worker"] == pytest.approx(2.5)
    finally:
        stack.gunicorn.kill()
        stack.gunicorn.wait()


def test_the_task_workers_peak_includes_what_a_leaving_worker_logged(run, tmp_path):
    """Sampled every second, the worker's memory missed the growth of a large export's last second: the run reported a
    peak of 89 MB for a worker that left at 302 MB. The lines the workers log on leaving count too (this stack's)."""
    log = tmp_path / "worker.log"
    log.write_text(
        "… 任务进程内存 410 MB 超过 300 MB：不再领取任务，退出后由服务重新启动。\n", encoding="utf-8"
    )  # an earlier stack's
    offset = log.stat().st_size
    with open(log, "a", encoding="utf-8") as f:
        f.write("INFO django_tasks Task … state=SUCCESSFUL\n")
        f.write(
            "INFO dangjian.worker 任务进程内存 302 MB 超过 300 MB：不再领取任务，退出后由服务重新启动。\n"
        )
        f.write(
            "INFO dangjian.worker 任务进程内存 318 MB 超过 300 MB：不再领取任务，退出后由服务重新启动。\n"
        )
    assert run.logged_peak_mb(log, offset) == 318.0
    assert run.logged_peak_mb(log) == 410.0
    assert run.logged_peak_mb(tmp_path / "none.log") == 0.0
    log.write_text("INFO django_tasks Task … state=SUCCESSFUL\n", encoding="utf-8")
    assert run.logged_peak_mb(log) == 0.0
