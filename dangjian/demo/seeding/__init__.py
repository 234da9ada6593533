"""Deterministic synthetic data for demos and benchmarks (`dangjian seed`).

`build_plan(scale, seed)` makes the data in memory (no database, same output for the same
arguments); `run(...)` writes it in one transaction, optionally after wiping the demo tables.
"""

from __future__ import annotations

from django.db import transaction

from dangjian.demo.seeding.lifecycle import seed_training_and_talks
from dangjian.demo.seeding.people import REFERENCE_DATE
from dangjian.demo.seeding.plan import build_plan
from dangjian.demo.seeding.specs import SCALES, Plan, Scale
from dangjian.demo.seeding.writer import Progress, analyze, no_progress, summary, wipe, write_plan
from dangjian.dues import snapshots
from dangjian.members.models import Member
from dangjian.movements.seeding import seed_demo as seed_movements
from dangjian.pipeline.seeding import seed_demo as seed_pipeline

__all__ = ["REFERENCE_DATE", "SCALES", "Plan", "Scale", "build_plan", "run", "summary", "wipe", "write_plan"]


def run(
    scale: str,
    seed: int = 1,
    *,
    reset: bool = False,
    lifecycle: bool = False,
    progress: Progress = no_progress,
) -> dict[str, int]:
    """Builds and writes the data set; with `reset`, first deletes the demo tables (same transaction); with
    `lifecycle`, adds demo 发展党员 cases and member movements through their services."""
    plan = build_plan(scale, seed)
    with transaction.atomic():
        if reset:
            wipe()
        counts = write_plan(plan, progress=progress)
        if lifecycle:
            # a few 发展党员 cases and member movements, written through their services (actor=None: the
            # system). Off by default: the cases admit 预备党员 with past dates, after the year's meetings were
            # generated, so their stored attendance no longer equals the roster on those dates.
            counts.update({f"pipeline_{k}": v for k, v in seed_pipeline(today=REFERENCE_DATE).items()})
            counts.update({f"movements_{k}": v for k, v in seed_movements(today=REFERENCE_DATE).items()})
            counts.update(seed_training_and_talks(today=REFERENCE_DATE))
        # the bulk writes bypass the models' save(): compute every member's ledger snapshot once
        snapshots.refresh(Member.objects.all())
    analyze()
    return counts
