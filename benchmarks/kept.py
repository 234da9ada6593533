"""Measures what the kept compliance results buy at municipal scale on PostgreSQL (run on demand, not a test):

    .venv/bin/python benchmarks/kept.py            # seeds postgres://…/dangjian_bench_kept (municipal) first
    .venv/bin/python benchmarks/kept.py --reuse    # reuse the seeded database of a previous run

In one process, each figure against its naive counterpart measured in the same run (this machine is shared
and noisy: medians and ranges are reported):

- the compliance overview of a 工委管理员 (the whole city) reading kept results, against the same page
  evaluated live (`?as_of=` today);
- the meetings list, and its 待办 panel (the htmx request the list makes) reading kept 待办, against the
  live 待办 of the same scope;
- the refresh after one meeting is recorded in a branch (the organisations its path and 单位 affect),
  against a full refresh;
- a full refresh (in REFRESH_JOBS processes, default the cores, as `dangjian compliance refresh` runs it) and in
  one process, against a full evaluation (what every page load cost before), with the latest rulebook and
  with v4 (the rulebook of the figures the kept results were built against).

The tables are vacuumed and their planner statistics refreshed first (VACUUM ANALYZE), as autovacuum keeps them on a
production server: every full refresh rewrites the organisations' stamps, and the dead rows of a few dozen refreshes
without autovacuum (off on the development machine) doubled the overview's time.
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


def timed(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return {
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "runs": repeat,
    }


def measure(repeat: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from dangjian.accounts.models import User
    from dangjian.compliance import kept
    from dangjian.compliance.evaluator import evaluate, todo
    from dangjian.compliance.rulebook import load_ruleset
    from dangjian.orgs.models import Org

    setup_test_environment()  # the test client's renderer hooks; no test database is created
    from django.db import connection

    # what autovacuum keeps in production (off here): no dead rows, fresh statistics
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    today = dt.date.today()
    with open(os.devnull, "w") as sink:
        call_command("demo_users", stdout=sink)
    from dangjian.accounts import otp

    # The pages of a signed-in 工委管理员 are measured, not the sign-in: the demo account's first sign-in (its
    # forced password change and the enrolment of an authenticator) counts as done, as after a real one.
    User.objects.filter(username="gongwei").update(password_must_change=False)
    user = User.objects.get(username="gongwei")
    client = Client()
    client.force_login(user)  # authenticates nobody: the session is marked as past the second step
    session = client.session
    session[otp.SESSION_KEY] = otp.PASSED
    session.save()
    out: dict = {"orgs": Org.objects.count(), "date": today.isoformat()}

    kept.refresh()  # warm: imports, rulebook, connection; the kept results are of today
    overview = reverse("compliance:overview")
    assert client.get(overview).status_code == 200
    out["overview_kept"] = timed(lambda: client.get(overview), repeat)
    out["overview_live"] = timed(
        lambda: client.get(overview, {"as_of": today.isoformat()}), max(3, repeat // 3)
    )

    todo_url = reverse("meetings:todo")
    listing = reverse("meetings:list")
    out["meetings_list"] = timed(lambda: client.get(listing), repeat)
    out["todo_panel_kept"] = timed(
        lambda: client.get(todo_url, {"compact": "1"}, HTTP_HX_REQUEST="true"), repeat
    )
    orgs = Org.objects.visible_to(user).active(today)
    out["todo_live"] = timed(lambda: todo(orgs, on=today), max(3, repeat // 3))

    branch = Org.objects.filter(type="zhibu", dissolved_on__isnull=True).order_by("path")[100]
    affected = kept.affected_orgs([branch.path])
    out["refresh_after_one_meeting"] = timed(lambda: kept.refresh(kept.affected_orgs([branch.path])), repeat)
    out["refresh_after_one_meeting"]["orgs"] = affected.count()
    out["full_refresh"] = timed(kept.refresh, 3)
    out["full_refresh"]["jobs"] = settings.REFRESH_JOBS
    out["full_refresh_one_process"] = timed(lambda: kept.refresh(jobs=1), 3)
    out["full_evaluation"] = timed(lambda: evaluate(Org.objects.all(), year=today.year, as_of=today), 3)
    v4 = load_ruleset(4)  # the rulebook the engine issue measured the full evaluation with
    out["full_evaluation_v4"] = timed(
        lambda: evaluate(Org.objects.all(), year=today.year, as_of=today, ruleset=v4), 3
    )
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
        print(json.dumps(measure(args.repeat)))
        return
    pgsettings.apply()  # the documented PostgreSQL settings, on every connection of this run (benchmarks/pgsettings.py)
    # plain HTTP on this machine, as `make demo` (the production settings would redirect the test client to HTTPS)
    env = {**os.environ, "DATABASE_URL": args.pg_url, "DANGJIAN_TASKS": "immediate", "LOCAL_HTTP": "1"}
    municipal.prepare(args.pg_url, reuse=args.reuse, env=env)
    figures = municipal.measured(__file__, args.repeat, env)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
