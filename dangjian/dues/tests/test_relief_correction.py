"""A 党费减免 recorded by mistake is put right: corrected (the recording's checks again) or deleted (with a reason, after
a confirmation), by whoever may record it — an administrator of the member and of the 党委 that approved it, never the
member's own branch — each with its audit event; a refused one changes nothing. The ledger, its snapshot and the kept
compliance results follow. The relief keeps its reason (减免原因), shown beside it on the member's page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.compliance.models import KeptResult
from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.dues import services
from dangjian.dues.ledger import member_ledger
from dangjian.dues.models import DuesRelief, LedgerSnapshot
from dangjian.dues.tests.test_member_page_forms import page_url, relief_data
from dangjian.dues.tests.test_snapshots import computed
from dangjian.dues.tests.test_views import declare, login
from dangjian.orgs.models import Org

pytestmark = pytest.mark.django_db

REASON = "长期患病，生活困难"


# the months of the reliefs, counted from the day the test runs: declared (last year and this year), the last one
# this month
def first(today: dt.date) -> dt.date:
    return add_months(today.replace(day=1), -4)


def later(today: dt.date) -> dt.date:
    return add_months(today.replace(day=1), -2)


def even_later(today: dt.date) -> dt.date:
    return today.replace(day=1)


def record(today, member, approved_by, actor=None, **values):
    data = {
        "kind": "reduce",
        "monthly_amount": Decimal("5"),
        "start_month": first(today),
        "end_month": later(today),
        "approved_on": today,
        "approval_ref": "甲委〔2026〕5号",
        "reason": REASON,
    }
    return services.record_relief(actor=actor, member=member, approved_by=approved_by, **(data | values))


def correction(relief, **values) -> dict:
    """The arguments of correct_relief: the relief's own values, with `values` changed."""
    data = {
        "kind": relief.kind,
        "monthly_amount": relief.monthly_amount,
        "start_month": relief.start_month,
        "end_month": relief.end_month,
        "approved_by": relief.approved_by,
        "approved_on": relief.approved_on,
        "approval_ref": relief.approval_ref,
        "reason": relief.reason,
    }
    return data | values


def row(relief) -> tuple:
    relief = DuesRelief.objects.get(pk=relief.pk)
    return (
        relief.kind,
        relief.monthly_amount,
        relief.start_month,
        relief.end_month,
        relief.approved_by_id,
        relief.approved_on,
        relief.approval_ref,
        relief.reason,
    )


def writes() -> tuple:
    """The reliefs, the events of the dues records (a sign-in records its own) and the ledger snapshots."""
    return (
        list(DuesRelief.objects.order_by("pk").values_list()),
        AuditEvent.objects.filter(object_type__startswith="dues.").count(),
        list(LedgerSnapshot.objects.order_by("pk").values_list("member_id", "codes", "amounts")),
    )


def due(member, month) -> Decimal:
    return next(r for r in member_ledger(member, month.year) if r.month == month).due


@pytest.fixture
def member(users, this_month, today):
    for year in (this_month.year - 1, this_month.year):  # 6000 → 90.00 a month
        declare(today, users["own_member"], year=year, month=dt.date(year, 1, 1))
    return users["own_member"]


@pytest.fixture
def relief(member, tree, users, today):
    return record(today, member, tree.a, actor=users["dangwei_a"])


# --- the reason is kept with the relief ---------------------------------------------------------------------------


def test_the_reason_is_kept_on_the_relief_and_in_its_audit_event(relief, today):
    assert relief.reason == REASON
    event = AuditEvent.objects.get(object_type="dues.duesrelief", object_id=str(relief.pk))
    assert event.action == "create" and event.note == REASON
    assert event.after["reason"] == REASON
    assert (event.after["start_month"], event.after["end_month"]) == (
        f"{first(today):%Y-%m-%d}",
        f"{later(today):%Y-%m-%d}",
    )


def test_the_form_requires_a_reason_for_a_new_relief(client, users, tree, member, today):
    login(client, users["dangwei_a"])
    response = client.post(page_url(today, member), relief_data(today, tree, **{"relief-reason": "  "}))
    assert response.status_code == 400
    assert response.context["relief_form"].errors["reason"] == ["请填写减免原因。"]
    assert not DuesRelief.objects.exists()


def test_the_members_page_shows_each_reliefs_reason(client, users, tree, member, relief, today):
    legacy = record(
        today,
        member,
        tree.a,
        start_month=even_later(today),
        end_month=even_later(today),
        kind="exempt",
        reason="",
    )
    login(client, users["branch_a1"])
    html = client.get(page_url(today, member)).content.decode()
    assert f"减免原因：{REASON}" in html
    assert "未写明减免原因" in html  # the relief recorded without one
    # the branch records no relief: it is offered neither correction nor deletion
    assert 'data-testid="relief-edit"' not in html and 'data-testid="relief-delete"' not in html
    login(client, users["dangwei_a"])
    html = client.get(page_url(today, member)).content.decode()
    for r in (relief, legacy):
        assert reverse("dues:relief_edit", args=[r.pk]) in html
        assert reverse("dues:relief_delete", args=[r.pk]) in html


# --- correction: the service --------------------------------------------------------------------------------------


def test_the_committee_admin_corrects_a_relief_and_the_ledger_follows(users, tree, member, relief, today):
    assert due(member, later(today)) == Decimal("5.00") and due(member, even_later(today)) == Decimal("90.00")
    services.correct_relief(
        actor=users["dangwei_a"],
        relief=relief,
        **correction(
            relief, kind="exempt", monthly_amount=None, start_month=later(today), end_month=even_later(today)
        ),
    )
    assert row(relief)[:4] == ("exempt", None, later(today), even_later(today))
    assert due(member, first(today)) == Decimal("90.00")  # no longer in the relief
    assert due(member, even_later(today)) == Decimal("0.00")
    assert LedgerSnapshot.objects.get(member=member).codes == computed(member)
    event = AuditEvent.objects.filter(object_type="dues.duesrelief", action="update").get()
    assert event.object_id == str(relief.pk) and event.actor == users["dangwei_a"]
    assert event.org_path == tree.a1.path
    assert {
        k: (event.before[k], event.after[k]) for k in event.after if event.before[k] != event.after[k]
    } == {
        "kind": ("reduce", "exempt"),
        "monthly_amount": ("5.00", None),
        "start_month": (f"{first(today):%Y-%m-%d}", f"{later(today):%Y-%m-%d}"),
        "end_month": (f"{later(today):%Y-%m-%d}", f"{even_later(today):%Y-%m-%d}"),
    }


def test_a_correction_that_changes_nothing_records_nothing(users, relief):
    before = writes()
    services.correct_relief(actor=users["dangwei_a"], relief=relief, **correction(relief))
    assert writes() == before


def test_a_correction_runs_the_recording_checks_and_a_refused_one_changes_nothing(
    users, tree, member, relief, today
):
    other = record(
        today, member, tree.a, start_month=even_later(today), end_month=even_later(today), kind="exempt"
    )
    before = writes()
    refusals = [
        (dict(end_month=add_months(first(today), -1)), "end_month", "截止月份早于起始月份。"),
        (dict(monthly_amount=None), "monthly_amount", "减交须填写减交后月缴纳额。"),
        (dict(approved_on=today + dt.timedelta(days=1)), "approved_on", "批准日期不能晚于今天。"),
        (
            dict(approved_by=tree.a1),
            "approved_by",
            "党费减免须经上级党委批准：批准组织应为甲一支部的上级党委。",
        ),
        (dict(end_month=even_later(today)), "start_month", "该期间与已登记的党费减免重叠。"),
        (dict(reason=" "), "reason", "请填写减免原因。"),  # a reason once recorded stays
    ]
    for values, field, message in refusals:
        with pytest.raises(ServiceError) as refused:
            services.correct_relief(actor=users["dangwei_a"], relief=relief, **correction(relief, **values))
        assert (refused.value.field, refused.value.message) == (field, message), values
    # the 工委 is above the branch too, but the 党委's administrator does not administer it
    with pytest.raises(ServiceError) as refused:
        services.correct_relief(
            actor=users["dangwei_a"], relief=relief, **correction(relief, approved_by=tree.gw)
        )
    assert refused.value.field == "approved_by"
    assert writes() == before
    # its own months do not overlap it: moved within them, it is accepted
    services.correct_relief(
        actor=users["dangwei_a"], relief=relief, **correction(relief, start_month=later(today))
    )
    assert row(relief)[2:4] == (later(today), later(today)) and row(other)[2] == even_later(today)


def test_only_who_may_record_a_relief_may_correct_it(users, tree, member, relief, make_user):
    before = writes()
    values = correction(relief, monthly_amount=Decimal("1"))
    with pytest.raises(
        ServiceError
    ) as refused:  # the member's branch does not approve its own members' relief
        services.correct_relief(actor=users["branch_a1"], relief=relief, **values)
    assert refused.value.message == "该党费减免经甲委机关党委批准，甲委机关党委不在您的管理范围内，不能更正。"
    assert not isinstance(refused.value, OutOfScope)
    for actor in (users["branch_a2"], make_user("dangwei_b", "dangwei_admin", tree.b), users["member_a1"]):
        with pytest.raises(OutOfScope):
            services.correct_relief(actor=actor, relief=relief, **values)
    assert writes() == before
    services.correct_relief(
        actor=users["gongwei"], relief=relief, **values
    )  # the 工委 administers the 党委 too
    assert row(relief)[1] == Decimal("1.00")


def test_a_relief_the_gongwei_approved_is_not_the_committees_to_change(users, tree, member, today):
    relief = record(today, member, tree.gw, actor=users["gongwei"])
    before = writes()
    with pytest.raises(ServiceError) as refused:
        services.correct_relief(
            actor=users["dangwei_a"], relief=relief, **correction(relief, approved_by=tree.a)
        )
    assert (
        refused.value.message
        == "该党费减免经市级机关工作党委批准，市级机关工作党委不在您的管理范围内，不能更正。"
    )
    with pytest.raises(ServiceError) as refused:
        services.delete_relief(actor=users["dangwei_a"], relief=relief, reason="录错")
    assert (
        refused.value.message
        == "该党费减免经市级机关工作党委批准，市级机关工作党委不在您的管理范围内，不能删除。"
    )
    assert writes() == before


def test_a_relief_recorded_without_a_reason_may_be_corrected_without_one(users, tree, member, today):
    legacy = record(today, member, tree.a, reason="")
    services.correct_relief(
        actor=users["dangwei_a"], relief=legacy, **correction(legacy, end_month=first(today))
    )
    assert row(legacy)[3:] == (first(today), tree.a.pk, today, "甲委〔2026〕5号", "")
    services.correct_relief(
        actor=users["dangwei_a"], relief=legacy, **correction(legacy, reason=" 家庭变故 ")
    )
    assert row(legacy)[-1] == "家庭变故"


# --- deletion: the service ----------------------------------------------------------------------------------------


def test_the_committee_admin_deletes_a_relief_and_the_months_are_due_again(
    users, tree, member, relief, today
):
    assert due(member, first(today)) == Decimal("5.00")
    with pytest.raises(ServiceError) as refused:
        services.delete_relief(actor=users["dangwei_a"], relief=relief, reason="  ")
    assert (refused.value.field, refused.value.message) == ("reason", "请填写删除原因。")
    assert DuesRelief.objects.filter(pk=relief.pk).exists()
    services.delete_relief(actor=users["dangwei_a"], relief=relief, reason="误登记到其他党员名下")
    assert not DuesRelief.objects.exists()
    assert due(member, first(today)) == Decimal("90.00")
    assert LedgerSnapshot.objects.get(member=member).codes == computed(member)
    event = AuditEvent.objects.filter(object_type="dues.duesrelief", action="delete").get()
    assert (event.object_id, event.note, event.org_path) == (
        str(relief.pk),
        "误登记到其他党员名下",
        tree.a1.path,
    )
    assert event.before["reason"] == REASON and event.before["approved_by"] == "A" and event.after is None
    with pytest.raises(ServiceError) as refused:  # a second time: nothing left to delete
        services.delete_relief(actor=users["dangwei_a"], relief=relief, reason="再删一次")
    assert refused.value.message == "该党费减免记录已不存在（可能已被删除）。"


def test_only_who_may_record_a_relief_may_delete_it(users, tree, relief, make_user):
    before = writes()
    with pytest.raises(ServiceError) as refused:
        services.delete_relief(actor=users["branch_a1"], relief=relief, reason="录错")
    assert refused.value.message == "该党费减免经甲委机关党委批准，甲委机关党委不在您的管理范围内，不能删除。"
    for actor in (users["branch_a2"], make_user("dangwei_b", "dangwei_admin", tree.b), users["member_a1"]):
        with pytest.raises(OutOfScope):
            services.delete_relief(actor=actor, relief=relief, reason="录错")
    assert writes() == before
    services.delete_relief(actor=users["gongwei"], relief=relief, reason="录错")
    assert not DuesRelief.objects.exists()


# --- the kept compliance results follow -------------------------------------------------------------------------


@pytest.fixture
def june():
    with time_machine.travel(
        dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        yield dt.date(2026, 6, 15)


def test_the_kept_dues_results_follow_a_correction_and_a_deletion(
    tree, make_member, make_user, june, django_capture_on_commit_callbacks, today
):
    """The branch's only member, declared from January and paying nothing, is exempt January–May: the month rule
    passes. Corrected to January–April, May is missing; deleted, every month is."""
    admin = make_user("dangwei", "dangwei_admin", tree.a)
    person = make_member(tree.a1, name="免交党员")
    services.declare_base(
        actor=None,
        member=person,
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=dt.date(2026, 1, 1),
    )
    relief = record(
        today,
        person,
        tree.a,
        actor=admin,
        kind="exempt",
        start_month=dt.date(2026, 1, 1),
        end_month=dt.date(2026, 5, 1),
        approved_on=dt.date(2026, 1, 5),
    )
    kept.refresh(Org.objects.all(), on=june)

    def paid_monthly():
        found = KeptResult.objects.get(org=tree.a1, rule_id="DUES-PAID-MONTHLY", year=2026)
        return found.status, found.missing

    assert paid_monthly() == ("pass", [])
    with django_capture_on_commit_callbacks(execute=True):
        services.correct_relief(
            actor=admin, relief=relief, **correction(relief, end_month=dt.date(2026, 4, 1))
        )
    assert paid_monthly() == ("fail", ["2026-05"])
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_relief(actor=admin, relief=relief, reason="未经批准")
    assert paid_monthly() == ("fail", [f"2026-{m:02d}" for m in range(1, 6)])


# --- the pages ----------------------------------------------------------------------------------------------------


def edit_data(today, tree, **values) -> dict:
    data = {
        "relief-kind": "exempt",
        "relief-monthly_amount": "",
        "relief-start_month": f"{later(today):%Y-%m}",
        "relief-end_month": f"{even_later(today):%Y-%m}",
        "relief-approved_by": str(tree.a.pk),
        "relief-approved_on": today.isoformat(),
        "relief-approval_ref": "甲委〔2026〕6号",
        "relief-reason": "长期患病，无固定收入",
    }
    return data | values


def test_the_correction_page_shows_the_relief_and_saves_the_correction(
    client, users, tree, member, relief, today
):
    url = reverse("dues:relief_edit", args=[relief.pk])
    login(client, users["dangwei_a"])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert (form["kind"].value(), form["start_month"].value(), form["reason"].value()) == (
        "reduce",
        f"{first(today):%Y-%m}",
        REASON,
    )
    assert form.fields["reason"].required
    html = page.content.decode()
    assert (
        'data-testid="relief-edit-form"' in html and reverse("dues:relief_delete", args=[relief.pk]) in html
    )
    response = client.post(url, edit_data(today, tree))
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(today, member, later(today).year)}#reliefs"
    assert row(relief) == (
        "exempt",
        None,
        later(today),
        even_later(today),
        tree.a.pk,
        today,
        "甲委〔2026〕6号",
        "长期患病，无固定收入",
    )
    assert AuditEvent.objects.filter(object_type="dues.duesrelief", action="update").count() == 1
    html = client.get(response["Location"]).content.decode()
    assert "已保存李党员党费减免的更正" in html and "减免原因：长期患病，无固定收入" in html


def test_a_refused_correction_comes_back_with_what_was_typed(client, users, tree, member, relief, today):
    url = reverse("dues:relief_edit", args=[relief.pk])
    login(client, users["dangwei_a"])
    before = writes()
    response = client.post(url, edit_data(today, tree, **{"relief-end_month": f"{first(today):%Y-%m}"}))
    assert response.status_code == 400
    assert response.context["form"].errors["end_month"] == ["截止月份早于起始月份。"]
    assert 'value="长期患病，无固定收入"' in response.content.decode()
    response = client.post(url, edit_data(today, tree, **{"relief-reason": ""}))
    assert response.status_code == 400 and response.context["form"].errors["reason"] == ["请填写减免原因。"]
    assert writes() == before


def test_a_relief_without_a_reason_is_corrected_without_one_on_the_page(client, users, tree, member, today):
    legacy = record(today, member, tree.a, reason="")
    login(client, users["dangwei_a"])
    url = reverse("dues:relief_edit", args=[legacy.pk])
    page = client.get(url)
    assert not page.context["form"].fields["reason"].required
    assert "原记录未写明减免原因，可在此补充。" in page.content.decode()
    assert client.post(url, edit_data(today, tree, **{"relief-reason": ""})).status_code == 302
    assert row(legacy)[:4] == ("exempt", None, later(today), even_later(today)) and row(legacy)[-1] == ""


def test_the_deletion_is_confirmed_with_a_reason(client, users, tree, member, relief, today):
    url = reverse("dues:relief_delete", args=[relief.pk])
    login(client, users["dangwei_a"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "确定删除李党员（甲一支部）的这条党费减免记录吗？" in html and f"减免原因：{REASON}" in html
    assert DuesRelief.objects.filter(pk=relief.pk).exists()  # the page itself deletes nothing
    before = writes()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["reason"] == ["请填写删除原因。"]
    assert writes() == before
    response = client.post(url, {"reason": "误登记到其他党员名下"})
    assert (
        response.status_code == 302
        and response["Location"] == f"{page_url(today, member, first(today).year)}#reliefs"
    )
    assert not DuesRelief.objects.exists()
    event = AuditEvent.objects.filter(object_type="dues.duesrelief", action="delete").get()
    assert event.note == "误登记到其他党员名下" and event.actor == users["dangwei_a"]
    assert "这些月份恢复按规定标准计算应交党费" in client.get(response["Location"]).content.decode()
    assert client.post(url, {"reason": "再删一次"}).status_code == 404


def test_the_pages_refuse_whoever_may_not_record_the_relief(client, users, tree, member, relief, today):
    urls = [reverse(name, args=[relief.pk]) for name in ("dues:relief_edit", "dues:relief_delete")]
    before = writes()
    for user, status in (
        (users["branch_a1"], 403),  # the member's branch: told who records it
        (users["branch_a2"], 404),
        (users["member_a1"], 403),  # no administrator
    ):
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == status
            assert client.post(url, edit_data(today, tree) | {"reason": "录错"}).status_code == status
    login(client, users["branch_a1"])
    assert (
        "党费减免由上级党委审批，并由上级党委管理员登记、更正或删除。" in client.get(urls[0]).content.decode()
    )
    assert writes() == before


def test_the_committee_is_offered_no_change_of_a_relief_the_gongwei_approved(
    client, users, tree, member, today
):
    relief = record(today, member, tree.gw, actor=users["gongwei"])
    login(client, users["dangwei_a"])
    html = client.get(page_url(today, member)).content.decode()
    assert f'data-relief="{relief.pk}"' in html and 'data-testid="relief-delete"' not in html
    assert client.get(reverse("dues:relief_edit", args=[relief.pk])).status_code == 403
    assert client.get(reverse("dues:relief_delete", args=[relief.pk])).status_code == 403
    login(client, users["gongwei"])
    assert client.get(reverse("dues:relief_edit", args=[relief.pk])).status_code == 200


def test_the_relief_pages_read_no_personal_data_and_are_not_stored(
    client, users, member, relief, monkeypatch
):
    """The pages name the member: their 身份证号 and phone are neither read nor decrypted; no cache keeps a page."""
    from dangjian.core import pii

    def refuse(token):
        raise AssertionError("personal data decrypted")

    login(client, users["dangwei_a"])
    monkeypatch.setattr(pii, "decrypt", refuse)
    for name in ("dues:relief_edit", "dues:relief_delete"):
        response = client.get(reverse(name, args=[relief.pk]))
        assert response.status_code == 200 and "李党员" in response.content.decode()
        assert "no-store" in response["Cache-Control"]


def test_the_members_page_reads_its_reliefs_and_what_may_be_done_with_them_in_fixed_queries(
    client, users, tree, member, relief, today
):
    login(client, users["dangwei_a"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page_url(today, member)).status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    record(today, member, tree.a, start_month=even_later(today), end_month=even_later(today), kind="exempt")
    record(
        today,
        member,
        tree.gw,
        actor=users["gongwei"],
        start_month=add_months(first(today), -2),
        end_month=add_months(first(today), -1),
    )
    html = client.get(page_url(today, member)).content.decode()
    assert html.count('data-testid="relief-delete"') == 2  # not the one the 工委 approved
    assert queries() == one
