"""`dangjian seed --scale small|municipal [--seed N] [--today YYYY-MM-DD] [--reset]`: deterministic demo data,
dated from today (or the day given)."""

from __future__ import annotations

import argparse
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from dangjian.compliance import kept
from dangjian.demo import seeding
from dangjian.orgs.models import Org


class Command(BaseCommand):
    help = (
        "生成确定性的演示数据：组织树、党员、党内职务，以及截至基准日期（默认今天）近12个月的组织生活记录和党费"
        "（同一 --seed、同一基准日期每次生成完全相同的数据）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=list(seeding.SCALES),
            default="small",
            help="small：约3个单位、15个党支部、200名党员；municipal：100个单位、约2500个党支部、60000名党员。",
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）。")
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="基准日期 YYYY-MM-DD（默认今天）：数据按这一天生成，记录截至这一天，用于固定演示或测试数据。",
        )
        parser.add_argument(
            "--lifecycle",
            action="store_true",
            help="另外通过业务服务生成几条发展党员案例和党员流动、组织关系转接、失联记录（演示用）。",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先删除全部党费记录、组织生活记录、组织、党员、党内职务、党员变更记录、角色授权和操作日志（保留用户账号）。",
        )

    def handle(
        self,
        *args,
        scale: str,
        seed: int,
        reset: bool,
        lifecycle: bool = False,
        today: dt.date | None = None,
        **options,
    ):
        existing = Org.objects.count()
        if existing and not reset:
            raise CommandError(
                f"数据库中已有 {existing} 个组织，未生成演示数据。"
                "如确需清空后重新生成，请加 --reset（将删除全部党费记录、组织生活记录、组织、党员、党内职务、变更记录、角色授权和操作日志，保留用户账号）。"
            )
        started = time.monotonic()
        target = seeding.SCALES[scale]
        if isinstance(today, str):  # call_command(today="2026-11-01")
            today = _day(today)
        today = today or dt.date.today()
        if lifecycle and today > dt.date.today():
            raise CommandError(
                f"基准日期 {today:%Y-%m-%d} 晚于今天：--lifecycle 的发展党员、党员流动等记录通过业务服务写入，"
                "不能晚于今天。请去掉 --lifecycle 或改用不晚于今天的基准日期。"
            )
        self.stdout.write(
            f"正在生成演示数据（规模 {scale}，种子 {seed}，基准日期 {today:%Y-%m-%d}）："
            f"{target.units} 个单位、{target.branches} 个党支部、{target.members} 名党员……"
        )
        if reset and existing:
            self.stdout.write(f"将先清除现有的 {existing} 个组织及相关数据。")
        try:
            with kept.refreshed_once_after():  # the refresh below is the only one
                counts = seeding.run(
                    scale, seed, today=today, reset=reset, lifecycle=lifecycle, progress=self.progress
                )
        except DatabaseError as exc:  # e.g. rows of later modules still refer to the organisations
            raise CommandError(f"写入失败，数据库未作任何修改：{exc}") from exc
        # this year's kept results, and early in the year the previous year's too (its review is still going on)
        results = sum(kept.refresh(on=today, year=year).results for year in seeding.Clock(today).kept_years())
        kept.analyze()  # the planner statistics of the kept rows just written
        self.stdout.write(f"  计算合规检查结果 {results} 条")
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"完成：{seeding.summary(counts)}。用时 {elapsed:.1f} 秒。"))

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stdout.write(f"  写入{stage} {done}/{total}")


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{value}”不是有效日期，请按 YYYY-MM-DD 填写，如 2026-11-01。"
        ) from None
