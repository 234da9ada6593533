"""Measures the Excel import of a valid 50,000-row 党员 file on PostgreSQL (run on demand, not a test):

    .venv/bin/python benchmarks/imports.py              # creates postgres://…/dangjian_bench_imports first
    .venv/bin/python benchmarks/imports.py --rows 5000 --repeat 3
    .venv/bin/python benchmarks/imports.py --one-by-one 1   # also the naive write, one member at a time

In one process, against a floor measured in the same run (this machine is shared and noisy: medians and
ranges are reported):

- floor: openpyxl reading every cell of the file in read-only mode, nothing else;
- parse: `core.xlsx.parse_sheet` (the floor plus each cell's checks: 身份证号 checksums, dates, choices);
- preview: `run_import(dry_run=True)`, what the upload page runs (parse, references, every row through the
  services, rolled back);
- commit: `run_import(dry_run=False)` into an empty registry, rolled back after each run so that every run
  writes the same 50,000 members (the compliance refresh that follows a real commit is not included);
- refusal: a file of IMPORT_MAX_ROWS + 10% tiny rows, refused at the limit;
- with --one-by-one N: preview and commit N times more with every new member written through
  `create_member`, one row at a time (the naive write the chunks replaced, and the importer's fallback).

Each figure is wall-clock time (median, min, max) and the process's CPU time (median; the database server's
work is not in it). The load average before and after is reported with the figures: on a busy machine the
wall-clock times stretch, the ratios to the floor much less. It also reports the process's peak resident
memory after each step (the workbook's bytes and the generated file included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
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
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench_imports"
BRANCHES = 50
HEADER = ["姓名", "身份证号", "人员类别", "入党日期", "转正日期", "所在组织编码", "学历", "手机号码"]


def timed(fn, repeat: int) -> dict:
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "runs": repeat,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def member_file(rows: int) -> bytes:
    from openpyxl import Workbook

    from dangjian.core import idcard

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("党员")
    sheet.append(HEADER)
    for i in range(rows):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i % 10000)  # 18 or older when joining in 2010
        number = idcard.make("310104", birth, i // 10000 * 2 + 1, i % 2 == 0)
        branch = f"BZ{i % BRANCHES:03d}"
        sheet.append(
            [f"党员{i}", number, "正式党员", "2010-07-01", "2011-07-01", branch, "大学本科", "13800000000"]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tiny_file(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("党员")
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append([f"党员{i}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def measure(rows: int, repeat: int, one_by_one: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import DatabaseError, transaction
    from openpyxl import load_workbook

    from dangjian.core import xlsx
    from dangjian.core.imports import ImportFileError, get_importer, run_import
    from dangjian.members import xlsx as member_xlsx
    from dangjian.members.models import Member
    from dangjian.orgs.models import Org
    from dangjian.orgs.services import create_org

    if not Org.objects.exists():
        gw = create_org(actor=None, data={"code": "GW", "name": "市级机关工委", "type": "gongwei"})
        committee = create_org(
            actor=None, data={"code": "BW", "name": "测试委机关党委", "type": "dangwei", "parent": gw}
        )
        for n in range(BRANCHES):
            create_org(
                actor=None,
                data={"code": f"BZ{n:03d}", "name": f"第{n}支部", "type": "zhibu", "parent": committee},
            )
    assert not Member.objects.exists(), "the benchmark imports into an empty registry"
    content = member_file(rows)
    out: dict = {"rows": rows, "file_kb": len(content) // 1024, "load_before": load()}

    def floor() -> None:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        for _ in workbook.worksheets[0].iter_rows(values_only=True):
            pass
        workbook.close()

    columns = get_importer("members").columns

    def parse() -> None:
        sheet = xlsx.parse_sheet(columns, io.BytesIO(content))
        assert len(sheet.rows) == rows and not sheet.errors

    def preview() -> None:
        result = run_import("members", io.BytesIO(content), actor=None, dry_run=True)
        assert result.ok() and result.created == rows, result.errors[:3]

    class Rollback(Exception):
        pass

    def commit() -> None:
        try:
            with transaction.atomic():
                result = run_import("members", io.BytesIO(content), actor=None, dry_run=False)
                assert result.ok() and result.created == rows and Member.objects.count() == rows
                raise Rollback
        except Rollback:
            pass

    out["floor"] = timed(floor, repeat)
    out["parse"] = timed(parse, repeat)
    out["preview"] = timed(preview, repeat)
    out["commit"] = timed(commit, repeat)
    compared = ["parse", "preview", "commit"]
    if one_by_one:

        def bulk_refused(**kwargs):
            raise DatabaseError("benchmark: one member at a time")

        chunked, member_xlsx.create_members = member_xlsx.create_members, bulk_refused
        try:
            out["preview_one_by_one"] = timed(preview, one_by_one)
            out["commit_one_by_one"] = timed(commit, one_by_one)
        finally:
            member_xlsx.create_members = chunked
        compared += ["preview_one_by_one", "commit_one_by_one"]
    for name in compared:
        out[f"{name}_over_floor"] = round(out[name]["median_s"] / out["floor"]["median_s"], 1)

    over = tiny_file(settings.IMPORT_MAX_ROWS + settings.IMPORT_MAX_ROWS // 10)

    def refuse() -> None:
        try:
            run_import("members", io.BytesIO(over), actor=None, dry_run=True)
        except ImportFileError:
            return
        raise AssertionError("a file over the limit was not refused")

    out["refusal_over_limit"] = timed(refuse, repeat)
    out["refusal_over_limit"]["file_kb"] = len(over) // 1024
    out["peak_rss_mb"] = peak_rss_mb()
    out["load_after"] = load()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--one-by-one",
        type=int,
        default=0,
        metavar="N",
        help="also measure N previews and commits writing one member at a time (slow: minutes each)",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.rows, args.repeat, args.one_by_one)))
        return
    pgsettings.apply()  # the documented PostgreSQL settings, on every connection of this run (benchmarks/pgsettings.py)
    env = {**os.environ, "DATABASE_URL": args.pg_url, "DANGJIAN_TASKS": "immediate"}
    name = args.pg_url.rsplit("/", 1)[-1]
    bin_dir = Path(sys.executable).parent
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run([bin_dir / "dangjian", "migrate", "--noinput", "-v", "0"], env=env, check=True)
    pgsettings.report(args.pg_url)
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            "--rows",
            str(args.rows),
            "--repeat",
            str(args.repeat),
            "--one-by-one",
            str(args.one_by_one),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(result.stderr)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
