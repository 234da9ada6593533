"""0002: kept messages become JSON; the texts kept before are kept, as JSON strings shown as they are, and going
back turns every message into its Chinese text."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from dangjian.compliance.models import KeptResult, KeptTodo
from dangjian.core.messages import render

BEFORE = [("compliance", "0001_kept_results")]
AFTER = [("compliance", "0002_kept_messages_json")]
TEXT = "2020年缺少3个季度的支部党员大会：2020-Q2、2020-Q3、2020-Q4。"
TODO = "本年度尚未召开组织生活会。"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def texts(model) -> dict:
    return dict(model.objects.values_list("pk", "message"))


@pytest.mark.django_db(transaction=True)
def test_kept_messages_survive_the_migration_both_ways(tree):
    # the tree's writes kept this year's results and 待办 as messages
    with translation.override("zh-hans"):
        chinese = {
            model: {pk: render(m) for pk, m in texts(model).items()} for model in (KeptResult, KeptTodo)
        }
    assert all(chinese.values())
    try:
        apps = migrate(BEFORE)  # back: each message is its Chinese text
        old_result, old_todo = (
            apps.get_model("compliance", "KeptResult"),
            apps.get_model("compliance", "KeptTodo"),
        )
        assert texts(old_result) == chinese[KeptResult] and texts(old_todo) == chinese[KeptTodo]
        legacy = old_result.objects.create(
            version=4,
            year=2020,
            org_id=tree.a1.pk,
            rule_id="MTG-ASSEMBLY-QUARTERLY",
            unit_key="甲委",
            org_path=tree.a1.path,
            status="fail",
            message=TEXT,
            since=dt.date(2020, 7, 1),
            digest="x",
        )
        legacy_todo = old_todo.objects.create(
            version=4,
            org_id=tree.a1.pk,
            rule_id="MTG-ORG-LIFE-ANNUAL",
            period="2020",
            due_by=dt.date(2020, 12, 31),
            message=TODO,
            on=dt.date(2020, 7, 1),
        )
        migrate(AFTER)  # forth: the texts, as JSON strings
        assert texts(KeptResult) == {**chinese[KeptResult], legacy.pk: TEXT}
        assert texts(KeptTodo) == {**chinese[KeptTodo], legacy_todo.pk: TODO}
        assert KeptResult.objects.get(pk=legacy.pk).since == dt.date(2020, 7, 1)
        with translation.override("en"):
            assert render(KeptResult.objects.get(pk=legacy.pk).message) == TEXT  # as it is, until refreshed
    finally:
        migrate(AFTER)
