"""The CPU of single page requests at municipal scale on PostgreSQL (run on demand, not a test):

    .venv/bin/python benchmarks/pages.py            # seeds postgres://…/dangjian_bench_kept (municipal) first
    .venv/bin/python benchmarks/pages.py --reuse    # reuse the seeded database of a previous run (kept.py's)

The load benchmark (benchmarks/load/) tells whether two cores carry the scenario; this tells which page costs what,
in minutes rather than a quarter of an hour: every page the scenario reads (GET: the pages that write would
change the data between runs), each requested --repeat times in one process through Django's test client by the
demo accounts of `dangjian demo_users` — zhibu (a 党支部's administrator: the branch's round on the collection
day), dangyuan (a member: their own pages), dangwei (a 党委's staff) and gongwei (the 工委's staff: the lists
over the whole city) — with the process's CPU time (median,
minimum and maximum), the wall time, the number of queries and the size of the HTML. Against a floor measured in the
same run: the simplest signed-in page (the password change form: the middleware, the session, the user and their
roles, the navigation), what every page costs before its own work. The pages are served as in production
(DEBUG off, the collected static files) over plain HTTP (LOCAL_HTTP=1, as `make demo`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

import municipal
import pgsettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench_kept"
FLOOR = "/accounts/password/"


def measure(repeat: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from dangjian.accounts import otp
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.meetings.models import Meeting

    setup_test_environment()  # the test client's renderer hooks; no test database is created
    with open(os.devnull, "w") as sink:
        call_command("demo_users", stdout=sink)
    users = ("zhibu", "dangyuan", "dangwei", "gongwei")
    # the accounts' first sign-in (the forced password change, the authenticator) counts as done
    User.objects.filter(username__in=users).update(password_must_change=False)
    branch = RoleAssignment.objects.filter(user__username="zhibu").values_list("org_id", flat=True).first()
    meeting = (
        Meeting.objects.filter(org_id=branch).order_by("-date", "-id").values_list("pk", flat=True).first()
    )
    today = dt.date.today()
    month = f"{today:%Y-%m}"
    pages = {
        "zhibu": [
            ("首页（支部工作台）", "/"),
            ("党费收缴表", f"/dues/?org={branch}&month={month}"),
            ("欠缴党费", f"/dues/arrears/?org={branch}"),
            ("组织生活列表", "/meetings/"),
            ("录入会议（支委会）", f"/meetings/new/?org={branch}&type=committee&date={today.isoformat()}"),
            # the members' roster (党员大会, 主题党日), as the load scenario records two times in three
            ("录入会议（党员大会）", f"/meetings/new/?org={branch}&type=assembly&date={today.isoformat()}"),
            ("会议详情", f"/meetings/{meeting}/"),
            ("本支部合规", f"/compliance/org/{branch}/"),
        ],
        "dangyuan": [("本人主页", "/"), ("我的党费", "/dues/mine/")],
        "dangwei": [
            ("首页（党委）", "/"),
            ("合规总览", "/compliance/"),
            ("组织树", "/orgs/"),
            ("党员查询", "/members/?q=王"),
        ],
        # the 工委's lists over the whole city: each asks for a narrower organisation (orgs.selectors.wide_scope)
        # instead of working out 60,000 members; the member form's picker reads only what it offers
        "gongwei": [
            ("工委：党费交纳提醒", "/dues/reminders/"),
            ("工委：欠缴党费", "/dues/arrears/"),
            ("工委：培训学时", "/training/hours/"),
            ("工委：学时汇总", "/training/rollup/"),
            ("工委：政治生日", "/members/birthdays/"),
            ("工委：连续未参加组织生活", "/meetings/absences/"),
            ("工委：流动党员统计", "/movements/summary/"),
            ("工委：发展党员汇总", "/pipeline/summary/"),
            ("工委：谈心谈话", "/talks/"),
            ("工委：民主评议", "/evaluations/"),
            ("工委：换届选举", "/elections/"),
            ("工委：新增党员", "/members/new/"),
        ],
    }

    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(
            User.objects.get(username=username)
        )  # authenticates nobody: marked past the second step
        session = client.session
        session[otp.SESSION_KEY] = otp.PASSED
        session.save()
        return client

    def timed(client: Client, url: str) -> dict:
        response = client.get(url)  # warm: imports, templates, the connection
        assert response.status_code == 200, (url, response.status_code)
        cpu, wall = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                cpu.append((time.process_time() - started_cpu) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        return {
            "url": url,
            "cpu_median_ms": round(statistics.median(cpu), 1),
            "cpu_min_ms": round(min(cpu), 1),
            "cpu_max_ms": round(max(cpu), 1),
            "wall_median_ms": round(statistics.median(wall), 1),
            "queries": len(queries.captured_queries),
            "html_kb": round(len(response.content) / 1024, 1),
            "runs": repeat,
        }

    out: dict = {"date": today.isoformat(), "branch": branch, "pages": {}}
    for username, wanted in pages.items():
        client = client_for(username)
        for name, url in wanted:
            out["pages"][name] = timed(client, url)
    out["floor"] = timed(client_for("zhibu"), FLOOR)
    floor = out["floor"]["cpu_median_ms"]
    for page in out["pages"].values():
        page["cpu_over_floor"] = round(page["cpu_median_ms"] / floor, 1) if floor else None
    # the round as first measured (the entry form of a 支委会), comparable with the earlier figures
    round_pages = [name for name, _url in pages["zhibu"] if name != "录入会议（党员大会）"]
    out["branch_round_cpu_ms"] = round(sum(out["pages"][name]["cpu_median_ms"] for name in round_pages), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--reuse", action="store_true", help="reuse the seeded database of a previous run")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.repeat), ensure_ascii=False))
        return
    pgsettings.apply()  # the documented PostgreSQL settings, on every connection of this run (benchmarks/pgsettings.py)
    env = {
        **os.environ,
        "DATABASE_URL": args.pg_url,
        "DANGJIAN_TASKS": "immediate",
        "LOCAL_HTTP": "1",
        "DEBUG": "0",
    }
    municipal.prepare(args.pg_url, reuse=args.reuse, env=env)
    figures = municipal.measured(__file__, args.repeat, env)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
