"""Measures a full compliance evaluation at municipal scale on SQLite and on PostgreSQL.

Run on demand (not a test):

    .venv/bin/python benchmarks/compliance.py                  # both databases, fresh seed on each
    .venv/bin/python benchmarks/compliance.py --reuse          # reuse the databases of a previous run
    .venv/bin/python benchmarks/compliance.py --backend sqlite

For each database: `dangjian seed --scale municipal` (in its own process, so that the seed's memory
does not count), then, in a fresh process, `evaluate(Org.objects.all(), year=2026, as_of=2026-11-01)`:
wall time (median of --repeat runs), peak Python allocations (tracemalloc, a separate run: tracing
slows Python down), the process's peak resident set (ru_maxrss) and the query count; then the same
evaluation of a 10-organisation and a 200-organisation subset, to show that the number of queries
does not grow with the number of organisations.

SQLite lives in a fixed temporary directory (never the project's var/); PostgreSQL uses
postgres://postgres@127.0.0.1:5432/dangjian_bench (created when missing; --pg-url to change). Without
--reuse the demo tables are rebuilt (`seed --reset`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pgsettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench"
DEFAULT_DIR = Path(tempfile.gettempdir()) / "dangjian-bench-compliance"
SUBSETS = (10, 200)


# --- the measuring process --------------------------------------------------------------------------------


def max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(year: int, as_of: dt.date, repeat: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(ROOT))
    import gc
    import tracemalloc

    import django

    django.setup()
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.compliance.evaluator import evaluate
    from dangjian.meetings.models import Meeting
    from dangjian.orgs.models import Org

    def run(orgs) -> tuple[float, int, object]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            evaluation = evaluate(orgs, year=year, as_of=as_of)
            elapsed = time.perf_counter() - started
        return elapsed, len(queries), evaluation

    ids = list(Org.objects.order_by("path").values_list("pk", flat=True))
    out: dict = {"orgs": len(ids), "meetings": Meeting.objects.count()}
    run(Org.objects.filter(pk__in=ids[:: len(ids) // 10][:10]))  # warm-up: imports, rulebook, connection
    for size in SUBSETS:
        subset = ids[:: max(1, len(ids) // size)][:size]
        elapsed, queries, evaluation = run(Org.objects.filter(pk__in=subset))
        out[f"subset_{size}"] = {"orgs": len(subset), "seconds": elapsed, "queries": queries}
        del evaluation
    gc.collect()
    out["rss_before_mb"] = current_rss_mb()
    times, counts = [], []
    for _ in range(repeat):
        elapsed, queries, evaluation = run(Org.objects.all())
        times.append(elapsed)
        counts.append(queries)
        results = evaluation.results
        statuses = Counter((r.rule.id, r.status) for r in results)
        out["results"] = len(results)
        del evaluation, results
        gc.collect()
    out["max_rss_mb"] = max_rss_mb()
    out["seconds"] = statistics.median(times)
    out["seconds_all"] = times
    out["queries"] = counts[0]
    tracemalloc.start()
    evaluation = evaluate(Org.objects.all(), year=year, as_of=as_of)
    out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del evaluation
    # the same evaluation without the ledger snapshots (after a change of the rate table or the rounding,
    # until `dangjian dues snapshots` has run): every member's ledger computed from the payments
    from django.db import transaction

    from dangjian.dues.models import LedgerSnapshot

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            LedgerSnapshot.objects.all().delete()
            gc.collect()
            out["cold_seconds"], _queries, evaluation = run(Org.objects.all())
            del evaluation
            raise Undo
    except Undo:
        pass
    rules: dict[str, dict[str, int]] = {}
    for (rule, status), n in sorted(statuses.items()):
        rules.setdefault(rule, {})[status] = n
    out["rules"] = rules
    return out


# --- the driver -------------------------------------------------------------------------------------------


def dangjian(*args: str, env: dict) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dangjian.cli", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)


def ensure_pg_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"已创建数据库 {name}")


def prepare(backend: str, args) -> tuple[dict, float | None]:
    """Migrates and seeds (unless reusing a seeded database); returns the environment and seed time."""
    var_dir = Path(args.var_dir) / backend
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings", "DANGJIAN_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        ensure_pg_database(args.pg_url)
        env["DATABASE_URL"] = args.pg_url
    elif not args.reuse:
        (var_dir / "dangjian.sqlite3").unlink(missing_ok=True)
    migrated = dangjian("migrate", "--noinput", env=env)
    if migrated.returncode:
        sys.exit(f"migrate 失败（{backend}）：\n{migrated.stderr}")
    if args.reuse:
        probe = subprocess.run(
            [sys.executable, __file__, "--probe"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        orgs, meetings = (int(n) for n in probe.stdout.split())
        if orgs and meetings:
            print(f"{backend}：沿用已有数据（{orgs} 个组织，{meetings} 条组织生活记录）")
            return env, None
    started = time.perf_counter()
    seeded = dangjian("seed", "--scale", args.scale, "--reset", env=env)
    if seeded.returncode:
        sys.exit(f"seed 失败（{backend}）：\n{seeded.stderr}")
    elapsed = time.perf_counter() - started
    print(f"{backend}：seed --scale {args.scale} 用时 {elapsed:.1f} 秒")
    return env, elapsed


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, size: int, right: bool = False) -> str:
    fill = " " * max(0, size - width(text))
    return fill + text if right else text + fill


def table(rows: list[list[str]]) -> None:
    sizes = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(pad(cell, sizes[i], right=i > 0) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * s for s in sizes))


def report(measured: dict[str, dict], seeds: dict[str, float | None]) -> None:
    names = list(measured)
    rows = [["", *names]]
    first = measured[names[0]]

    def line(label: str, fn) -> None:
        rows.append([label, *(fn(measured[n], n) for n in names)])

    line("seed（秒）", lambda m, n: f"{seeds[n]:.1f}" if seeds[n] is not None else "沿用")
    line("组织数", lambda m, n: str(m["orgs"]))
    line("组织生活记录", lambda m, n: str(m["meetings"]))
    line("评价结果条数", lambda m, n: str(m["results"]))
    line("全量评价（秒，中位数）", lambda m, n: f"{m['seconds']:.2f}")
    line("全量评价各次（秒）", lambda m, n: " ".join(f"{s:.2f}" for s in m["seconds_all"]))
    line("无台账快照时全量评价（秒）", lambda m, n: f"{m['cold_seconds']:.2f}")
    line("查询次数（全量）", lambda m, n: str(m["queries"]))
    for size in SUBSETS:
        line(
            f"查询次数（{size} 个组织）",
            lambda m, n, size=size: (
                f"{m[f'subset_{size}']['queries']}（{m[f'subset_{size}']['seconds'] * 1000:.0f} ms）"
            ),
        )
    line("Python 分配峰值 tracemalloc（MB）", lambda m, n: f"{m['traced_peak_mb']:.0f}")
    line("进程 RSS 评价前（MB）", lambda m, n: f"{m['rss_before_mb']:.0f}")
    line("进程 RSS 峰值 ru_maxrss（MB）", lambda m, n: f"{m['max_rss_mb']:.0f}")
    print()
    table(rows)
    print()
    statuses = ["pass", "fail", "pending", "not_applicable"]
    rule_rows = [["规则", *statuses]]
    for rule, counts in first["rules"].items():
        rule_rows.append([rule, *(str(counts.get(s, 0)) for s in statuses)])
    print(f"各规则结果（{names[0]}）：")
    table(rule_rows)
    if len(names) > 1 and any(measured[n]["rules"] != first["rules"] for n in names[1:]):
        print("注意：两种数据库的评价结果不一致！")
    elif len(names) > 1:
        print("两种数据库的评价结果一致。")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reuse", action="store_true", help="reuse an already seeded database")
    parser.add_argument("--scale", default="municipal")
    parser.add_argument("--var-dir", default=str(DEFAULT_DIR), help=f"default {DEFAULT_DIR}")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL))
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--as-of", default="2026-11-01")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from dangjian.meetings.models import Meeting
        from dangjian.orgs.models import Org

        print(Org.objects.count(), Meeting.objects.count())
        return
    if args.measure:
        result = measure(args.year, dt.date.fromisoformat(args.as_of), args.repeat)
        print(json.dumps(result))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    pgsettings.apply()  # the documented PostgreSQL settings, on every connection of this run (benchmarks/pgsettings.py)
    measured, seeds = {}, {}
    for backend in backends:
        env, seeds[backend] = prepare(backend, args)
        if backend == "postgresql":
            pgsettings.report(args.pg_url)
        command = [sys.executable, __file__, "--measure", "--year", str(args.year), "--as-of", args.as_of]
        command += ["--repeat", str(args.repeat)]
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"评价失败（{backend}）：\n{done.stderr}")
        measured[backend] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n评价：{args.year} 年，截至 {args.as_of}；{os.cpu_count()} 核")
    report(measured, seeds)


if __name__ == "__main__":
    main()
