"""Secrecy of the 述职评议 测评票 by construction: the schema of the rating-bearing rows (the counters) and the audit
rows written by a vote leave no path from a rating to its voter; the pages, the export and the command show no
voter beside a rating. Each check names what it would have found."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.appraisals import services
from dangjian.appraisals.models import Campaign, CampaignItem, Participation, Subject, Tally
from dangjian.appraisals.tests.conftest import ballot_of, to_voting
from dangjian.core.models import AuditEvent

# The only fields a counter may have: its key, the campaign, the secretary rated, the item, the rating, two counts.
TALLY_FIELDS = {"id", "campaign", "subject", "item", "rating", "online", "paper"}
# What a counter's foreign keys lead to holds nothing a vote writes (their fields are listed: a new one is looked at).
SUBJECT_FIELDS = {
    "id", "campaign", "org", "secretary", "report", "report_name", "report_uploaded_on", "report_uploaded_by",
    "reported_on",
}  # fmt: skip
ITEM_FIELDS = {"id", "campaign", "name", "weight", "order", "overall"}
CAMPAIGN_FIELDS = {
    "id", "owner", "year", "report_year", "title", "opened_on", "voting_from", "voting_to", "closed_on", "state",
    "roles", "paper_ballots", "created_by", "created_at",
}  # fmt: skip
MARKS = ("good", "fairly_good", "average", "poor", "好", "较好", "一般", "差")


def _concrete(model):
    return [f for f in model._meta.get_fields() if f.concrete]


def test_a_counter_has_only_its_allowed_fields():
    assert {f.name for f in _concrete(Tally)} == TALLY_FIELDS


def test_no_rating_table_holds_a_time_finer_than_the_day():
    for model in (Tally, Participation):
        found = [f.name for f in _concrete(model) if isinstance(f, (models.DateTimeField, models.TimeField))]
        assert found == [], f"{model.__name__} holds times: {found}"


def test_no_foreign_key_leads_from_a_counter_to_a_voter():
    """A counter's foreign keys are the campaign, the subject and the item: none is written by a vote (their
    fields are listed), none leads to a member but the subject's secretary (who is rated, not the voter); the
    participation row, which names the voter, has no link to a counter, and nothing points at a counter."""
    relations = {f.name: f.related_model for f in _concrete(Tally) if f.is_relation}
    assert relations == {"campaign": Campaign, "subject": Subject, "item": CampaignItem}
    assert {f.name for f in _concrete(Subject)} == SUBJECT_FIELDS
    assert {f.name for f in _concrete(CampaignItem)} == ITEM_FIELDS
    assert {f.name for f in _concrete(Campaign)} == CAMPAIGN_FIELDS
    assert [f.name for f in _concrete(Participation) if f.is_relation and f.related_model is Tally] == []
    assert [r.name for r in Tally._meta.related_objects] == []
    # no other model of the app holds a rating
    from django.apps import apps

    holding = [
        m.__name__
        for m in apps.get_app_config("appraisals").get_models()
        if any(getattr(f, "choices", None) and "good" in dict(f.choices or ()) for f in _concrete(m))
    ]
    assert holding == ["Tally"]


def _vote_five(party, campaign):
    c = to_voting(campaign, party.admin)
    choices = ["good", "poor", "average", "fairly_good", "good"]
    for m, choice in zip(party.people[:5], choices, strict=True):
        services.cast_vote(actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m, choice))
    return c


@pytest.mark.django_db
def test_after_votes_no_audit_row_carries_a_rating(party, campaign):
    c = _vote_five(party, campaign)
    events = list(AuditEvent.objects.filter(at__date__gte=dt.date.today() - dt.timedelta(days=1)))
    votes = [e for e in events if e.object_type == "appraisals.participation"]
    assert len(votes) == 5
    tally_ids = {str(pk) for pk in Tally.objects.values_list("pk", flat=True)}
    for e in votes:
        text = json.dumps([e.before, e.after, e.note, e.object_repr], ensure_ascii=False, default=str)
        assert not any(m in text for m in MARKS), text
    for e in events:
        assert e.object_type != "appraisals.tally", e
        assert not (e.object_type == "appraisals.tally" and e.object_id in tally_ids)
    assert Participation.objects.filter(campaign=c).count() == 5


@pytest.mark.django_db
def test_no_page_export_or_command_pairs_a_voter_with_a_rating(party, campaign, tmp_path):
    """After five votes and the closing, every page of the campaign, its workbook and the command's outputs:
    the voters' names appear only where participation is shown (who voted), never in the results table next to
    a figure; the results name secretaries only."""
    c = _vote_five(party, campaign)
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    voters_only = [m.name for m in party.people[2:5]]  # 吴、孙、李: voters who are not secretaries
    admin = Client()
    admin.force_login(party.admin)
    pages = [
        reverse("appraisals:detail", args=[c.pk]),
        reverse("appraisals:index"),
        reverse("appraisals:tallies", args=[c.pk]),
        *(reverse("appraisals:subject", args=[s.pk]) for s in c.subjects.all()),
    ]
    for url in pages:
        body = admin.get(url).content.decode()
        results = body.split('data-testid="results"', 1)[1] if 'data-testid="results"' in body else ""
        assert not any(n in results for n in voters_only), url
    workbook = load_workbook(io.BytesIO(admin.get(reverse("appraisals:summary_xlsx", args=[c.pk])).content))
    cells = " ".join(
        str(v) for row in workbook.active.iter_rows(values_only=True) for v in row if v is not None
    )
    assert not any(n in cells for n in voters_only)
    out = io.StringIO()
    call_command("appraisals", "results", str(c.pk), "--format", "json", stdout=out)
    assert not any(n in out.getvalue() for n in voters_only)
    out = io.StringIO()
    call_command("appraisals", "status", "--year", str(c.year), "--format", "json", stdout=out)
    assert not any(n in out.getvalue() for n in voters_only)
    # the audit page, read by the 审计管理员's peer the 工委管理员: participation only
    page = Client()
    page.force_login(party.gongwei)
    body = page.get(reverse("portal:audit"), {"object_type": "appraisals.participation"}).content.decode()
    assert not any(f">{m}<" in body for m in ("好", "较好", "一般", "差"))


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_counters_transaction_ids_do_not_tell_which_were_chosen(party, campaign):
    """On PostgreSQL every row carries the id of the transaction that wrote it (xmin), which a vote's Participation
    row shares (or its savepoint's, next to it): a vote rewrites every counter of the campaign, so after the five
    votes all the counters carry the last vote's id, those it added to and the others alike."""
    from django.db import connection

    c = _vote_five(party, campaign)
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT xmin::text FROM appraisals_tally WHERE campaign_id = %s", [c.pk])
        counters = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT xmin::text FROM appraisals_participation WHERE campaign_id = %s", [c.pk])
        votes = sorted(int(row[0]) for row in cursor.fetchall())
    assert len(counters) == 1 and len(votes) == 5
    assert int(next(iter(counters))) > votes[-2]  # written by the last vote, not by any earlier one
