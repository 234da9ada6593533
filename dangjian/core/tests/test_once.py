"""One-time form tokens: consumed tokens are purged after their retention, and every form posting to a URL whose
view records something carries a token."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.core import once
from dangjian.core.once import SubmittedForm
from dangjian.core.tests.test_permission_matrix import NOT_ONCE

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def consume(at: dt.datetime) -> str:
    with time_machine.travel(at, tick=False):
        token = once.issue()
        SubmittedForm.objects.create(token=token)
    return token


@pytest.mark.django_db
def test_tokens_older_than_the_retention_are_purged(settings):
    assert settings.FORM_TOKEN_RETENTION_DAYS == 7  # the default
    old = consume(START - dt.timedelta(days=8))
    edge = consume(START - dt.timedelta(days=7) + dt.timedelta(minutes=1))
    recent = consume(START - dt.timedelta(hours=1))
    with time_machine.travel(START, tick=False):
        assert once.purge() == 1
    assert set(SubmittedForm.objects.values_list("token", flat=True)) == {edge, recent}
    settings.FORM_TOKEN_RETENTION_DAYS = 1
    with time_machine.travel(START, tick=False):
        assert once.purge() == 1
    assert list(SubmittedForm.objects.values_list("token", flat=True)) == [recent]
    assert old not in SubmittedForm.objects.values_list("token", flat=True)


@pytest.mark.django_db
def test_the_purge_command(capsys):
    consume(START - dt.timedelta(days=30))
    consume(START - dt.timedelta(days=3))
    with time_machine.travel(START, tick=False):
        call_command("forms", "purge")
        assert "已清理已提交表单令牌 1 条" in capsys.readouterr().out
        call_command("forms", "purge", "--days", "2")
        assert "已清理已提交表单令牌 1 条" in capsys.readouterr().out
    assert not SubmittedForm.objects.exists()
    with pytest.raises(CommandError):
        call_command("forms", "purge", "--days", "0")
    with pytest.raises(CommandError, match="1 至 36500"):  # beyond it the cutoff would leave the calendar
        call_command("forms", "purge", "--days", "36501")
    call_command("forms", "purge", "--days", "36500")
    with pytest.raises(CommandError):
        call_command("forms", "vacuum")


# Forms posting elsewhere that no persona of the matrix submits successfully, and why a repeat is harmless.
HARMLESS = {
    "set_language": "chooses the language",
    "locks": "lifts a sign-in lock: a repeat finds none",
    "dues:calculator": "computes a base, records nothing",
    "portal:import_commit": "its own one-time token: the preview, consumed by the first confirmation",
    "members:delete": "a deletion: a repeat finds nothing to delete",
    "orgs:delete": "a deletion: a repeat finds nothing to delete",
    "otp_disable": "turns the second factor off: a repeat finds no authenticator (and needs a fresh code)",
    "otp_recovery_codes": "new recovery codes replace the old: the page of a repeat shows the ones in force",
    # the 工委's assessors' writes (no persona of the permission matrix may make them; their services say so)
    "assessment:open": "opens the year's assessment once: a repeat is refused (already opened) and changes nothing",
    "assessment:advance": "moves on from the stage the page showed: a repeat is refused, the round having moved on",
    "assessment:score": "sets an item's score and reason: the same score again",
    "assessment:rule": "rules on a contest: the same ruling again",
}
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
ACTION = re.compile(r"""action="\{% url '([a-z_]+:[a-z_]+|[a-z_]+)'""")
METHOD_POST = re.compile(r'method="post"', re.I)


def test_every_form_posting_to_a_recording_view_carries_a_token():
    """The templates' forms that post elsewhere name their view: unless a repeat of it is harmless (NOT_ONCE,
    the permission matrix's list), the form carries `{% once_token %}` (the replay test posts the data itself)."""
    missing = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for form in FORM.findall(path.read_text(encoding="utf-8")):
            head = form.split(">", 1)[0]
            action = ACTION.search(head)
            if not METHOD_POST.search(head) or action is None:
                continue
            name = action.group(1)
            if name in NOT_ONCE or name in HARMLESS:
                continue
            if "{% once_token %}" not in form:
                missing.append(f"{path.name}: {name}")
    assert missing == [], missing
