"""Deterministic synthetic data for demos and benchmarks (`dangjian seed`).

`build_plan(scale, seed, today)` makes the data in memory (no database, same output for the same
arguments), dated from the reference day `today` (default the real date: the records cover the months up to
it, see clock.py); `run(...)` writes it in one transaction, optionally after wiping the demo tables.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dangjian.demo.seeding.clock import Clock
from dangjian.demo.seeding.lifecycle import seed_appraisal, seed_training_and_talks
from dangjian.demo.seeding.plan import build_plan
from dangjian.demo.seeding.specs import SCALES, Plan, Scale
from dangjian.demo.seeding.writer import Progress, analyze, no_progress, summary, wipe, write_plan
from dangjian.dues import snapshots
from dangjian.members.models import Member
from dangjian.movements.seeding import seed_demo as seed_movements
from dangjian.pipeline.seeding import seed_demo as seed_pipeline

__all__ = ["SCALES", "Clock", "Plan", "Scale", "build_plan", "run", "summary", "wipe", "write_plan"]


def run(
    scale: str,
    seed: int = 1,
    *,
    today: dt.date | None = None,
    reset: bool = False,
    lifecycle: bool = False,
    progress: Progress = no_progress,
) -> dict[str, int]:
    """Builds and writes the data set dated from `today` (default the real date); with `reset`, first deletes
    the demo tables (same transaction); with `lifecycle`, adds demo 发展党员 cases and member movements through
    their services, and last year's closed 述职评议 of one 党委."""
    today = today or dt.date.today()
    plan = build_plan(scale, seed, today)
    with transaction.atomic():
        if reset:
            wipe()
        counts = write_plan(plan, progress=progress)
        if lifecycle:
            # a few 发展党员 cases and member movements, written through their services (actor=None: the
            # system). Off by default: the cases admit 预备党员 with past dates, after the window's meetings were
            # generated, so their stored attendance no longer equals the roster on those dates.
            counts.update({f"pipeline_{k}": v for k, v in seed_pipeline(today=today).items()})
            counts.update({f"movements_{k}": v for k, v in seed_movements(today=today).items()})
            counts.update(seed_training_and_talks(today=today))
            counts.update(seed_appraisal(today=today))
        # the bulk writes bypass the models' save(): compute every member's ledger snapshot once
        snapshots.refresh(Member.objects.all())
    analyze()
    return counts
