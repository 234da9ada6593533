"""The full evaluation at municipal scale against its set-based floor, on PostgreSQL (run on demand, not a test):

    .venv/bin/python benchmarks/floor.py            # the database of benchmarks/kept.py (seeded by it)
    .venv/bin/python benchmarks/floor.py --repeat 7 --pg-url postgres://…/other

The floor is what no evaluation of the same facts can beat: the very statements the evaluation sends,
captured from one evaluation, replayed on a plain cursor and fetched as tuples — no ORM, no Python beyond
the driver. Both are measured in the same run, alternately (this machine is shared and noisy: medians and
ranges are reported), with the CPU time of this process beside the wall time, and the peak memory of one
evaluation in a fresh process (its maximum resident set, imports included).

The evaluation runs as configured (settings.FACT_THREADS: its facts loaded by two threads by default); with more
than one thread it is also measured with its facts loaded by the evaluating thread alone, in the same run. The
statements are captured from a one-thread evaluation (a connection's wrapper sees its own thread's statements only).

The tables are vacuumed and their planner statistics refreshed first (VACUUM ANALYZE), as autovacuum keeps them on a
production server; the connections carry the documented PostgreSQL settings (benchmarks/pgsettings.py,
docs/deployment.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pgsettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench_kept"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _figures(times: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(times) * 1000),
        "min_ms": round(min(times) * 1000),
        "max_ms": round(max(times) * 1000),
        "runs": len(times),
    }


def measure(repeat: int) -> dict:
    _setup()
    import datetime as dt

    from django.conf import settings
    from django.db import connection

    from dangjian.compliance.evaluator import evaluate
    from dangjian.orgs.models import Org

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    today = dt.date.today()
    threads = settings.FACT_THREADS

    def evaluation():
        return evaluate(Org.objects.all(), year=today.year, as_of=today)

    def one_thread():  # the facts loaded by the evaluating thread alone (settings.FACT_THREADS = 1)
        settings.FACT_THREADS = 1
        try:
            return evaluation()
        finally:
            settings.FACT_THREADS = threads

    statements: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    evaluation()  # warm: imports, the rulebook, the connections
    with connection.execute_wrapper(capture):  # this thread's connection: every statement, in one thread
        results = len(one_thread().results)

    def floor() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows += len(cursor.fetchall())
        return rows

    rows = floor()
    runs = (("evaluation", evaluation), ("floor", floor))
    if threads > 1:
        runs += (("evaluation_one_thread", one_thread),)
    walls: dict[str, list[float]] = {name: [] for name, _fn in runs}
    cpus: dict[str, list[float]] = {name: [] for name, _fn in runs}
    for _ in range(repeat):  # alternately, so that a busy moment of the machine falls on each
        for name, fn in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    out = {
        "date": today.isoformat(),
        "orgs": Org.objects.count(),
        "results": results,
        "statements": len(statements),
        "rows_fetched": rows,
        "fact_threads": threads,
    }
    for name in walls:
        out[name] = {**_figures(walls[name]), "cpu_median_ms": round(statistics.median(cpus[name]) * 1000)}
    out["ratio_median"] = round(statistics.median(walls["evaluation"]) / statistics.median(walls["floor"]), 2)
    return out


def peak() -> dict:
    """One evaluation in this (fresh) process: its maximum resident set, before and after."""
    _setup()
    import datetime as dt

    from dangjian.compliance.evaluator import evaluate
    from dangjian.orgs.models import Org

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    today = dt.date.today()
    evaluate(Org.objects.all(), year=today.year, as_of=today)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"before_evaluation_mb": round(before / 1024), "peak_mb": round(after / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peak", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.repeat)))
        return
    if args.peak:
        print(json.dumps(peak()))
        return
    pgsettings.apply()  # the documented PostgreSQL settings, on every connection of this run (benchmarks/pgsettings.py)
    env = {**os.environ, "DATABASE_URL": args.pg_url, "DANGJIAN_TASKS": "immediate", "LOCAL_HTTP": "1"}

    def run(*flags: str) -> dict:
        done = subprocess.run(
            [sys.executable, __file__, *flags], env=env, check=True, capture_output=True, text=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    pgsettings.report(args.pg_url)
    figures = run("--measure", "--repeat", str(args.repeat))
    figures["memory"] = run("--peak")
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
