"""Times `dangjian seed --scale municipal` and a few typical reads over the result.

Run on demand (not a test):

    .venv/bin/python benchmarks/seed_municipal.py                      # fresh SQLite in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench \\
        .venv/bin/python benchmarks/seed_municipal.py --reset           # PostgreSQL (wipes demo tables)

Without DATABASE_URL or DANGJIAN_VAR_DIR it uses a new temporary directory, never the project's
var/ database. A database that already holds organisations is refused unless --reset is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup() -> None:
    if not os.environ.get("DATABASE_URL") and not os.environ.get("DANGJIAN_VAR_DIR"):
        os.environ["DANGJIAN_VAR_DIR"] = tempfile.mkdtemp(prefix="dangjian-bench-")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        import pgsettings

        pgsettings.apply()  # the documented PostgreSQL settings (benchmarks/pgsettings.py)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def timed(label: str, fn: Callable[[], object]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
    pad = 40 - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    print(f"  {label}{' ' * pad} {elapsed * 1000:9.1f} ms  {len(queries):3d} 次查询  → {result}")


def reads() -> None:
    from django.db.models import Count

    from dangjian.accounts.models import User
    from dangjian.core.pii import lookup_hash
    from dangjian.members.models import Member
    from dangjian.orgs.models import Org, Post

    gongwei, dangwei, zhibu = (User.objects.get(username=u) for u in ("gongwei", "dangwei", "zhibu"))
    party = dangwei.roles.get().org
    sample = Member.objects.order_by("pk")[30_000]
    timed(
        "组织按类型计数",
        lambda: dict(Org.objects.values_list("type").annotate(n=Count("id")).order_by("type")),
    )
    timed("一个机关党委的全部下级组织（子树）", lambda: Org.objects.subtree(party).count())
    timed("工委管理员可见党员数", lambda: Member.objects.visible_to(gongwei).count())
    timed("党委管理员可见党员数", lambda: Member.objects.visible_to(dangwei).count())
    timed(
        "党委管理员党员列表第 1 页（50 条）",
        lambda: len(list(Member.objects.visible_to(dangwei).select_related("org")[:50])),
    )
    timed(
        "工委管理员党员列表第 600 页（50 条）",
        lambda: len(list(Member.objects.visible_to(gongwei).select_related("org")[29_950:30_000])),
    )
    timed("支部管理员可见组织", lambda: Org.objects.visible_to(zhibu).count())
    timed(
        "全部党支部的现任书记（一次查询）",
        lambda: Post.objects.current().filter(title="shuji", org__type="zhibu").count(),
    )
    timed(
        "按身份证号精确查找",
        lambda: Member.objects.filter(id_number_hash=lookup_hash(sample.id_number)).get().pk == sample.pk,
    )
    timed(
        "按姓名搜索（工委范围）",
        lambda: Member.objects.visible_to(gongwei).filter(name__startswith="王").count(),
    )


def timed_phases() -> dict[str, list[float]]:
    """Wraps the seed's phases to measure each one's wall and CPU time (of this process; the rest of the wall
    time is the database server's, or waiting for a busy machine)."""
    import dangjian.demo.seeding as seeding
    from dangjian.compliance import kept
    from dangjian.dues import snapshots

    phases: dict[str, list[float]] = {}

    def wrap(owner, name: str, label: str) -> None:
        inner = getattr(owner, name)
        phases[label] = [0.0, 0.0]

        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                phases[label][0] += time.perf_counter() - wall
                phases[label][1] += time.process_time() - cpu

        setattr(owner, name, timed)

    wrap(seeding, "build_plan", "生成数据（内存中）")
    wrap(seeding, "write_plan", "写入数据库")
    wrap(snapshots, "refresh", "党费台账快照")
    wrap(seeding, "analyze", "ANALYZE")
    wrap(kept, "refresh", "计算并保存检查结果")
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="municipal")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--reset", action="store_true", help="wipe existing demo tables first")
    args = parser.parse_args()
    setup()

    from django.core.management import CommandError, call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"数据库：{connection.vendor} {connection.settings_dict['NAME']}")
    if connection.vendor == "postgresql":
        import pgsettings

        pgsettings.report(os.environ["DATABASE_URL"])
    phases = timed_phases()
    print(f"负载均值（1/5/15 分钟）：{'/'.join(f'{n:.1f}' for n in os.getloadavg())}")
    started, cpu = time.perf_counter(), time.process_time()
    seed_args = ["--scale", args.scale, "--seed", args.seed] + (["--reset"] if args.reset else [])
    try:
        call_command("seed", *seed_args, stdout=StringIO())
    except CommandError as exc:
        sys.exit(f"{exc}")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"seed --scale {args.scale}：{elapsed:.1f} 秒（本进程 CPU {cpu:.1f} 秒）")
    for label, (wall, used) in phases.items():
        print(f"  {label}{' ' * (24 - len(label.encode('gbk')))} {wall:6.1f} 秒  CPU {used:6.1f} 秒")
    print(f"负载均值（1/5/15 分钟）：{'/'.join(f'{n:.1f}' for n in os.getloadavg())}")
    call_command("demo_users", stdout=StringIO())
    print("读取：")
    reads()


if __name__ == "__main__":
    main()
