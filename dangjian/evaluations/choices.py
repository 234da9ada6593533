"""Choices of 民主评议党员 (BR-16, EVAL-01): the steps, the body that gives the 评定意见, the four ratings and
grades, and the outcome of a 限期改正 (DISP-04)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Step(models.TextChoices):
    """The steps in order (BR-16); an evaluation moves forward one step at a time, never back."""

    STUDY = "study", _("学习教育")
    SELF = "self", _("个人自评")
    VOTING = "voting", _("党员互评和民主测评")
    GRADING = "grading", _("组织评定")
    PUBLICITY = "publicity", _("公示")
    DONE = "done", _("完成")


STEP_ORDER = [s.value for s in Step]
# 测评 is closed from 组织评定 on: results are shown, ballots are refused
CLOSED_STEPS = frozenset({Step.GRADING.value, Step.PUBLICITY.value, Step.DONE.value})
# the grade is public (on the member's timeline) from 公示 on
PUBLISHED_STEPS = frozenset({Step.PUBLICITY.value, Step.DONE.value})


class Organ(models.TextChoices):
    """Who gives the 评定意见 (BR-16)."""

    COMMITTEE = "committee", _("支部委员会")
    ASSEMBLY = "assembly", _("支部党员大会")


class Rating(models.TextChoices):
    """The four grades of EVAL-01, used both for the ratings of 民主测评 and for the 组织评定."""

    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASIC = "basic", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


RATING_ORDER = [r.value for r in Rating]


class FollowUpOutcome(models.TextChoices):
    """The outcome of the 限期改正 that a 不合格 grade opens (DISP-01/04): the decision, no case file."""

    CORRECTED = "corrected", _("按期改正")
    NOT_CORRECTED = "not_corrected", _("期满未改正，另行组织处置")
