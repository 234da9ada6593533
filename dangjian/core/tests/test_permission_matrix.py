"""The permission matrix: every named URL of the URL configuration × seven personas.

For each URL the table below says what each persona gets on GET and, for a write view, on POST (with a
body that the owning branch's administrator could submit successfully). A refused POST must change
nothing: every row of every dangjian table (audit events included) is compared before and after. Every
response with a body is searched for the names, 组织编码 and 身份证号 of the organisations, members and
applicants outside the persona's scope (workbooks cell by cell with openpyxl, PDFs with pypdf, the
Content-Disposition file name too): there must be none, except the few documented in ALLOWANCES, where a page
shows something outside the scope by design (the two sides of a transfer, for instance).

A URL without a row fails (adding a page means adding its row), and so does a row naming a URL that no
longer exists. Parameters come from one record of each kind belonging to 甲一支部 (the owning branch),
created through the services.

The world is built once per module (the same tree as dangjian/conftest.py, with distinctive names and codes
so that a code can be searched for as a token) inside a transaction rolled back at the end; each test runs
in a savepoint of it, so a POST that succeeds is undone before the next test.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.tests.permission_matrix import (
    EXCLUDED_URL_NAMES,
    Secret,
    body_text,
    leaks,
    named_urls,
    outcome,
    url_parameters,
)

pytestmark = pytest.mark.django_db  # every test: the module's world lives in the test database


def add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


# --- personas ---------------------------------------------------------------------------------------------

# The table's columns, in this order.
PERSONAS = ("anon", "member", "a1", "a2", "b1", "dw", "dw_only")
PERSONA_LABELS = {
    "anon": "anonymous",
    "member": "党员 of 甲一 (member role, own member record)",
    "a1": "支部管理员 of 甲一 (the owning branch)",
    "a2": "支部管理员 of 甲二 (sibling branch)",
    "b1": "支部管理员 of 乙一 (a branch under another 党委)",
    "dw": "党委管理员 of 甲委 with descendants",
    "dw_only": "党委管理员 of 甲委 without descendants",
}
# Role, organisation and include_descendants of each persona's one assignment.
GRANTS = {
    "member": ("member", "A1", True),
    "a1": ("branch_admin", "A1", True),
    "a2": ("branch_admin", "A2", True),
    "b1": ("branch_admin", "B1", True),
    "dw": ("dangwei_admin", "A", True),
    "dw_only": ("dangwei_admin", "A", False),
}
# The organisations whose members (and applicants) each persona may see; the names and codes of these
# organisations and of their ancestors may be shown. The 党员 sees their own record only, and the names and
# codes of their branch and its ancestors (OWN_BRANCH).
SCOPE_ORGS = {
    "anon": (),
    "member": (),
    "a1": ("A1", "A1G1"),
    "a2": ("A2",),
    "b1": ("B1",),
    "dw": ("A", "A1", "A1G1", "A2"),
    "dw_only": ("A",),
}
OWN_BRANCH = {"member": ("A1",)}

# 三员分立: the system roles, a second table of columns (SYSTEM_PERSONAS order). They have no party scope: every
# party page refuses them (by default a row expects a refusal for them: 403, 404 or 405, and a refused POST that
# changes nothing), and they must not see what the anonymous visitor must not see, except where ALLOWANCES say.
SYSTEM_PERSONAS = ("xitong", "anquan", "shenji")
SYSTEM_ROLES = {"xitong": "system_admin", "anquan": "security_admin", "shenji": "audit_admin"}
PERSONA_LABELS.update(
    {
        "xitong": "系统管理员 (system_admin)",
        "anquan": "安全管理员 (security_admin)",
        "shenji": "审计管理员 (audit_admin)",
    }
)
SCOPE_ORGS.update({p: () for p in SYSTEM_PERSONAS})
SYSTEM_URLS = (
    "system:users",
    "system:user_new",
    "system:user_detail",
    "system:user_password",
    "system:user_active",
    "system:request_party_grant",
    "system:org_options",
    "system:request_system_grant",
    "system:request_party_revoke",
    "system:request_system_revoke",
    "system:requests",
    "system:decide",
    "system:security",
    "locks",
)
ALL_ORG_KEYS = ("GW", "ADZ", "A", "A1", "A1G1", "A2", "B", "BZZ", "B1")
ALL_PEOPLE_KEYS = (
    "shuji", "target", "stint", "lost", "transfer", "arrears", "dw_shuji", "self", "xiaozu", "a2", "a2_shuji", "b1",
    "b1_shuji",
)  # fmt: skip


@dataclass(frozen=True)
class Allowance:
    """What some personas are shown outside their scope on some pages (URL names), and why."""

    personas: tuple[str, ...]
    urls: tuple[str, ...]
    reason: str
    orgs: tuple[str, ...] = ()  # names and codes of these organisations
    org_names: tuple[str, ...] = ()  # names only
    people: tuple[str, ...] = ()  # names of these members (never their 身份证号)
    applicants: tuple[str, ...] = ()  # names of these applicants (a case's 预备党员 is on the roll too)

    def covers(self, secret: Secret) -> bool:
        if secret.kind in ("org_name", "org_code"):
            return secret.key in self.orgs or (secret.kind == "org_name" and secret.key in self.org_names)
        if secret.kind == "applicant_name":
            return secret.key in self.applicants
        return secret.kind == "member_name" and secret.key in self.people


# Each allowance is as narrow as the current pages permit: only the personas, pages and records that show.
ALLOWANCES = (
    Allowance(
        ("member",),
        ("evaluations:vote",),
        "民主测评: the 党员's ballot rates every other member of the branch on the opening date, by name (never a "
        "身份证号 or how anyone voted), the 预备党员 of the development case among them",
        people=("shuji", "target", "stint", "lost", "transfer", "arrears", "dw_shuji", "xiaozu"),
        applicants=("approved",),
    ),
    Allowance(
        ("member",),
        ("appraisals:vote",),
        "述职评议: the 党员's 测评票 rates the secretaries of the campaign's organisations, by name with their "
        "organisation (never how anyone voted)",
        org_names=("A2",),
        people=("shuji", "a2_shuji"),
    ),
    Allowance(
        ("dw_only",),
        (
            "appraisals:detail",
            "appraisals:subjects",
            "appraisals:tallies",
            "appraisals:summary_xlsx",
            "appraisals:subject",
        ),
        "述职评议 is held by the 党委 itself: its administrator, even without the branches, sees the branches "
        "whose secretaries report to it and those secretaries (names, never a 身份证号)",
        orgs=("A1", "A2"),
        people=("shuji", "a2_shuji"),
    ),
    Allowance(
        ("b1",),
        ("movements:index", "movements:transfer", "dashboard"),
        "the receiving branch of the pending transfer 甲一 → 乙一 sees who is coming and from where (on the home "
        "page too: the transfer waiting for its acceptance is one of its items)",
        org_names=("A1",),
        people=("transfer",),
    ),
    Allowance(
        ("a1", "dw"),
        ("movements:index", "movements:transfer", "movements:member", "portal:audit"),
        "the sending side sees where its pending transfer goes (the movements pages name the receiving "
        "branch; the transfer's audit event records its 组织编码)",
        orgs=("B1",),
    ),
    Allowance(
        ("a1", "dw"),
        ("movements:member",),
        "a member's movements page offers every 党支部 and 党小组 of the system as a transfer's receiving "
        "organisation (a transfer may go anywhere inside it): their names, not their codes",
        org_names=("A2", "B1"),
    ),
    Allowance(
        ("dw_only",),
        ("portal:audit",),
        "the audit events of 甲委's own youth group keep the snapshot written when it was set up, which names "
        "its leader and members from 甲委's branches: audit records are evidence and are not rewritten",
        people=("xiaozu", "a2"),
    ),
    Allowance(
        ("xitong", "anquan"),
        SYSTEM_URLS,
        "the 系统管理员 grants party roles over organisations and the 安全管理员 approves them: the role pages name "
        "the organisations (never a member)",
        orgs=ALL_ORG_KEYS,
    ),
    Allowance(
        ("shenji",),
        ("portal:audit",),
        "the 审计管理员 reads the whole audit trail, whose events name organisations and members (身份证号 are "
        "masked in the snapshots, and searched for)",
        orgs=ALL_ORG_KEYS,
        people=ALL_PEOPLE_KEYS,
    ),
    Allowance(
        ("shenji",),
        ("portal:audit_export",),
        "the 审计管理员's export of the audit trail holds every event the filter selects (here all of them), whose "
        "records name organisations, members and applicants (身份证号 are masked in the snapshots, and searched for)",
        orgs=ALL_ORG_KEYS,
        people=ALL_PEOPLE_KEYS,
        applicants=("case", "approved", "case_a2", "case_b1"),
    ),
    Allowance(
        ("shenji",),
        ("portal:audit_orgs",),
        "the audit page's organisation search offers the 审计管理员 every organisation of the log (names and codes)",
        orgs=ALL_ORG_KEYS,
    ),
    Allowance(
        ("dw",),
        ("assessment:round", "assessment:unit", "assessment:export"),
        "a unit of the 机关党建考核 is the organ's 党组 and 机关党委 together: its page and export name the 党组 "
        "beside the 机关党委 (its 组织编码 among the unit's)",
        orgs=("ADZ",),
    ),
    Allowance(
        ("a2", "b1", "dw_only"),
        ("portal:import_upload",),
        "the import preview repeats the 组织编码 written in the uploaded file (the user's own input)",
        orgs=("A1",),
    ),
)

# --- the world --------------------------------------------------------------------------------------------

ORGS = (  # key, code, name, type, parent key
    ("GW", "MXGW", "矩阵市级机关工委", "gongwei", None),
    ("ADZ", "MXADZ", "矩阵甲委党组", "dangzu", "GW"),
    ("A", "MXA", "矩阵甲委机关党委", "dangwei", "GW"),
    ("A1", "MXA1", "矩阵甲一支部", "zhibu", "A"),
    ("A1G1", "MXA1G1", "矩阵甲一第一党小组", "xiaozu", "A1"),
    ("A2", "MXA2", "矩阵甲二支部", "zhibu", "A"),
    ("B", "MXB", "矩阵乙委机关党委", "dangwei", "GW"),
    ("BZZ", "MXBZZ", "矩阵乙总支", "zongzhi", "B"),
    ("B1", "MXB1", "矩阵乙一支部", "zhibu", "BZZ"),
)
PEOPLE = (  # key, name, org key
    ("shuji", "郑甲一书记", "A1"),
    ("target", "郑甲一党员", "A1"),
    ("stint", "郑甲一流动", "A1"),
    ("lost", "郑甲一失联", "A1"),
    ("transfer", "郑甲一转接", "A1"),
    ("arrears", "郑甲一欠缴", "A1"),
    ("dw_shuji", "郑党委书记", "A1"),  # a member of 甲一 holding 甲委's 书记 post
    ("self", "郑党员本人", "A1"),  # the 党员 persona's own record
    ("xiaozu", "郑甲一小组员", "A1G1"),
    ("a2", "郑甲二党员", "A2"),
    ("a2_shuji", "郑甲二书记", "A2"),
    ("b1", "郑乙一党员", "B1"),
    ("b1_shuji", "郑乙一书记", "B1"),
)
APPLICANTS = (
    ("case", "郑甲一申请人", "A1"),
    ("case_a2", "郑甲二申请人", "A2"),
    ("case_b1", "郑乙一申请人", "B1"),
)


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


@dataclass
class World:
    orgs: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    cases: dict[str, Any] = field(default_factory=dict)
    obj: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    secrets: dict[str, list[Secret]] = field(default_factory=dict)  # persona → what it must not see
    # the day the world is built: its records and the rows' dates are counted from it
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def month(self) -> dt.date:
        return self.today.replace(day=1)

    def hidden_from(self, persona: str, name: str) -> list[Secret]:
        """What `persona` must not see on the page `name` (its secrets less that page's allowances)."""
        allowed = [a for a in ALLOWANCES if persona in a.personas and name in a.urls]
        return [s for s in self.secrets[persona] if not any(a.covers(s) for a in allowed)]


def _build(world: World) -> None:
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.dues.services import declare_base, record_payment, record_relief
    from dangjian.elections.services import record_election
    from dangjian.meetings.services import create_meeting, plan_meeting
    from dangjian.members.services import create_member
    from dangjian.movements.services import record_lost_contact, start_stint, start_transfer
    from dangjian.orgs.services import create_org, create_post
    from dangjian.pipeline.services import import_case, open_case
    from dangjian.talks.services import create_pair, create_youth_group, record_talk
    from dangjian.training.services import add_participants, create_training

    o, p = world.orgs, world.people
    for key, code, name, type_, parent in ORGS:
        o[key] = create_org(
            actor=None,
            data={
                "code": code,
                "name": name,
                "type": type_,
                "parent": o.get(parent),
                "founded_on": dt.date(2018, 3, 1),
                "unit": "甲委" if code.startswith("MXA") else "乙委",
            },
        )
    joined = dt.date(2010, world.today.month, 1)  # 政治生日 this month: the birthday pages list them
    for key, name, org in PEOPLE:
        p[key] = create_member(
            actor=None,
            data={
                "name": name,
                "id_number": unique_id_number(),
                "category": "formal",
                "joined_on": joined,
                "confirmed_on": joined.replace(year=2011),
                "org": o[org],
                "work_status": "active",
                "phone": "13812345678",
                "education": "bachelor",
            },
        )
    for key, name, org in APPLICANTS:
        world.cases[key] = open_case(
            actor=None,
            org=o[org],
            name=name,
            id_number=unique_id_number(),
            applied_on=world.today - dt.timedelta(days=30),
        )
    # an imported 预备党员 whose approval was recorded without the approving organisation
    _action, world.cases["approved"] = import_case(
        actor=None,
        org=o["A1"],
        name="郑甲一预备党员",
        id_number=unique_id_number(),
        stage="probationary",
        dates={
            key: world.today - dt.timedelta(days=days)
            for key, days in (
                ("application", 700),
                ("talk", 690),
                ("activist", 680),
                ("candidate", 300),
                ("admission_vote", 100),
                ("approval", 50),
            )
        },
    )

    def post(member, org, title="shuji", started_on=dt.date(2020, 1, 1)):
        return create_post(
            actor=None, data={"member": member, "org": org, "title": title, "started_on": started_on}
        )

    world.obj["post"] = post(p["shuji"], o["A1"])
    post(p["dw_shuji"], o["A"])
    post(p["a2_shuji"], o["A2"])
    post(p["b1_shuji"], o["B1"])

    world.obj["meeting"] = create_meeting(
        actor=None,
        data={"org": o["A1"], "date": world.today - dt.timedelta(days=10), "topic": "甲一党员大会"},
        types=["assembly"],
        absentees={p["lost"].pk: "失联"},
        attachments=[SimpleUploadedFile("minutes.pdf", _pdf("meeting minutes"), "application/pdf")],
    )
    world.obj["attachment"] = world.obj["meeting"].attachments.get()
    world.obj["plan"] = plan_meeting(
        actor=None,
        org=o["A1"],
        date=world.today + dt.timedelta(days=7),
        types=["theme_day"],
        topic="甲一计划主题党日",
    )
    for org in ("A2", "B1"):
        create_meeting(
            actor=None,
            data={"org": o[org], "date": world.today - dt.timedelta(days=12), "topic": f"{org}党员大会"},
            types=["assembly"],
        )
    for months_ago in range(1, 8):  # 郑甲一失联 absent without a reason for seven months: a case to review
        create_meeting(
            actor=None,
            data={
                "org": o["A1"],
                "date": add_months(world.month, -months_ago),
                "topic": f"甲一主题党日{months_ago}",
            },
            types=["theme_day"],
            absentees={p["lost"].pk: ""},
        )

    for key in ("target", "self", "a2", "b1"):
        declare_base(
            actor=None,
            member=p[key],
            year=world.month.year,
            category="active",
            monthly_base=Decimal("6000"),
            effective_month=world.month,
        )
    record_payment(
        actor=None,
        member=p["target"],
        months=f"{world.month:%Y-%m}",
        amount=Decimal("30"),
        paid_on=world.today,
        method="cash",
    )
    # a 党费减免 the 党委 approved for a member of 甲一 (dues:relief_edit, dues:relief_delete); no base declared, so no
    # month of the ledger changes
    world.obj["relief"] = record_relief(
        actor=None,
        member=p["shuji"],
        kind="exempt",
        start_month=add_months(world.month, -3),
        end_month=add_months(world.month, -2),
        approved_by=o["A"],
        approved_on=world.today,
        reason="长期患病，生活困难",
    )
    first_unpaid = add_months(world.month, -12)  # a year unpaid: a case the branch reviews
    declare_base(
        actor=None,
        member=p["arrears"],
        year=first_unpaid.year,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=first_unpaid,
    )

    world.obj["stint"] = start_stint(
        actor=None,
        member=p["stint"],
        destination="英国伦敦",
        abroad=True,
        abroad_purpose="study",
        left_on=world.today - dt.timedelta(days=60),
    )
    world.obj["lost"] = record_lost_contact(
        actor=None, member=p["lost"], lost_on=world.today - dt.timedelta(days=40)
    )
    world.obj["transfer"] = start_transfer(
        actor=None,
        member=p["transfer"],
        to_org=o["B1"],
        started_on=world.today - dt.timedelta(days=3),
        reason="工作调动",
    )

    voters = [p[k] for k in ("shuji", "target", "self", "xiaozu")]
    world.obj["election"] = record_election(
        actor=None,
        org=o["A1"],
        held_on=world.today - dt.timedelta(days=20),
        form="congress",  # held as a 党员代表大会, its approval not yet recorded (elections:congress_approval)
        present=9,
        seats=3,
        ballots_issued=9,
        ballots_returned=9,
        candidates=[
            {"member": m, "votes": v, "title": "shuji" if i == 0 else "weiyuan"}
            for i, (m, v) in enumerate(zip(voters, (9, 8, 7, 2), strict=True))
        ],
    )

    def training(org, members, title):
        t = create_training(
            actor=None,
            data={
                "title": title,
                "organiser": "市委党校",
                "level": "county_rotation",
                "org": org,
                "started_on": world.today - dt.timedelta(days=15),
                "ended_on": world.today - dt.timedelta(days=15),
                "hours": Decimal("8"),
            },
        )
        add_participants(actor=None, training=t, members=members, completed=True)
        return t

    world.obj["training"] = training(o["A1"], [p["target"], p["shuji"]], "甲一书记轮训")
    world.obj["participant"] = world.obj["training"].participants.get(member=p["target"])
    training(o["B1"], [p["b1"]], "乙一培训")

    world.obj["talk"] = record_talk(
        actor=None,
        org=o["A1"],
        date=world.today - dt.timedelta(days=5),
        participants=[p["shuji"], p["target"]],
    )
    record_talk(
        actor=None,
        org=o["B1"],
        date=world.today - dt.timedelta(days=5),
        participants=[p["b1_shuji"], p["b1"]],
    )
    world.obj["pair"] = create_pair(
        actor=None,
        org=o["A1"],
        mentor=p["shuji"],
        mentee=p["target"],
        started_on=world.today - dt.timedelta(days=30),
        goal="熟悉支部工作",
    )
    world.obj["group"] = create_youth_group(
        actor=None,
        org=o["A1"],
        name="甲一青年理论学习小组",
        leader=p["target"],
        members=[p["self"]],
        founded_on=world.today - dt.timedelta(days=30),
    )
    create_youth_group(
        actor=None,
        org=o["A"],
        name="甲委青年理论学习小组",
        leader=p["xiaozu"],
        members=[p["a2"]],
        founded_on=world.today - dt.timedelta(days=30),
    )

    _evaluations(world)
    _assessment(world)
    _appraisals(world)

    for persona, (role, org, descendants) in GRANTS.items():
        user = User.objects.create_user(
            username=f"mx_{persona}", password=None, member=p["self"] if persona == "member" else None
        )
        RoleAssignment.objects.create(user=user, role=role, org=o[org], include_descendants=descendants)
        world.users[persona] = user
    from dangjian.accounts import sysroles
    from dangjian.accounts.services import create_user

    for persona in SYSTEM_PERSONAS:
        user = create_user(actor=None, username=f"mx_{persona}", password="Mx-pass-2026!")
        world.obj[f"grant_{persona}"] = sysroles.grant_system_role(
            actor=None, user=user, role=SYSTEM_ROLES[persona]
        )
        world.users[persona] = user
    world.users["plain"] = create_user(actor=None, username="mx_plain", password="Mx-pass-2026!")
    world.obj["request"] = sysroles.request_party_grant(
        actor=world.users["xitong"], user=world.users["plain"], role="branch_admin", org=o["A1"]
    )
    world.obj["assignment_a2"] = world.users["a2"].roles.get()
    world.obj["export_job"] = _export_job(world.users["a1"])
    from dangjian.reminders.models import Notification

    # 甲一's administrator's notification, as the daily task writes it
    world.obj["notification"] = Notification.objects.create(
        recipient=world.users["a1"],
        key="matrix",
        category="dues",
        org=o["A1"],
        title="本月党费",
        link=reverse("dues:sheet") + f"?org={o['A1'].pk}",
        due=world.today,
        day=world.today,
    )
    from dangjian.reminders.services import create_feed

    world.obj["feed_token"] = create_feed(actor=world.users["member"])  # the 党员's calendar URL
    # an administrator's password must change at first sign-in (the pages of that are tested elsewhere)
    User.objects.filter(username__in=["mx_xitong", "mx_anquan", "mx_shenji", "mx_plain"]).update(
        password_must_change=False
    )
    for persona in (*PERSONAS, *SYSTEM_PERSONAS):
        client = Client()
        if persona in world.users:
            client.force_login(world.users[persona])
        world.clients[persona] = client
    world.secrets = {persona: _secrets(world, persona) for persona in (*PERSONAS, *SYSTEM_PERSONAS)}


def _evaluations(world: World) -> None:
    """甲一's 民主评议党员: this year's in its 测评 (the 党员 persona has a ballot), last year's at 组织评定, and the
    year before's in 公示 with 郑甲一党员 graded 不合格 (its 限期改正 outcome to record), and one four years ago at
    its 个人自评. Another 党委's branch has its own evaluation in its 测评."""
    from dangjian.evaluations import services as ev_services
    from dangjian.evaluations.choices import STEP_ORDER

    def run(org, year, step, grades=None):
        opened_on = world.today if year == world.today.year else dt.date(year, 12, 1)
        ev = ev_services.open_evaluation(
            actor=None, org=org, year=year, opened_on=opened_on, organ="assembly"
        )
        while ev.step != step:
            if ev.step == "grading" and grades is not None:
                ev_services.record_grades(actor=None, evaluation=ev, grades=grades(ev), on=world.today)
            ev = ev_services.advance_step(actor=None, evaluation=ev, confirm_gaps=True)
            if ev.step == "voting":  # one paper 测评票 collected: the 测评 closes only with a ballot
                ev_services.record_paper_tallies(actor=None, evaluation=ev, paper_ballots=1, counts={})
            assert STEP_ORDER.index(ev.step) <= STEP_ORDER.index(step)
        return ev

    def graded(ev):
        return {
            p.pk: "unqualified" if p.member_id == world.people["target"].pk else "qualified"
            for p in ev.participants.filter(formal=True)
        }

    world.obj["evaluation"] = run(world.orgs["A1"], world.today.year, "voting")
    world.obj["evaluation_grading"] = run(world.orgs["A1"], world.today.year - 1, "grading")
    world.obj["evaluation_public"] = run(world.orgs["A1"], world.today.year - 2, "publicity", graded)
    world.obj["eval_participant"] = world.obj["evaluation"].participants.get(member=world.people["target"])
    world.obj["participant_unqualified"] = world.obj["evaluation_public"].participants.get(
        member=world.people["target"]
    )
    run(world.orgs["B1"], world.today.year, "voting")
    # the year before those three: at its 个人自评 step (the 党员 persona writes theirs; 甲一 has a 党小组 member)
    world.obj["evaluation_self"] = run(world.orgs["A1"], world.today.year - 4, "self")
    world.obj["own_participant"] = world.obj["evaluation_self"].participants.get(member=world.people["self"])


ASSESS_YEAR = 2026  # the year of the sample scheme (rules/assessment-2026.yaml)


def _assessment(world: World) -> None:
    """The 2026 机关党建考核 opened (单位自评), with 甲委's contest of ORG-01 for the assessors to rule on."""
    from dangjian.assessment import services as assessment_services

    found = assessment_services.open_round(actor=None, year=ASSESS_YEAR)
    world.obj["assessment_review"] = assessment_services.write_self_review(
        actor=None,
        round=found,
        unit_key="甲委",
        indicator_id="ORG-01",
        text="四月已召开",
        contest=True,
        claimed="6",
    )


def assessment_kwargs(**extra):
    return lambda w: {
        "year": ASSESS_YEAR,
        **{k: (w.orgs[v].pk if k == "org" else v) for k, v in extra.items()},
    }


def _appraisals(world: World) -> None:
    """甲委's 述职评议: this year's in 述职 with 甲一 as its subject (甲二 may be added), last year's in its 测评 with
    甲一 and 甲二 (the 党员 persona listed: a ballot), and the year before's closed with 甲一's final report uploaded.
    乙委's own campaign of this year, with 乙一."""
    from dangjian.appraisals import services as ap

    o, p = world.orgs, world.people

    def held(owner, year, subjects, state, listed=()):
        opened_on = world.today if year == world.today.year else dt.date(year, 12, 1)
        c = ap.create_campaign(actor=None, owner=owner, year=year, opened_on=opened_on)
        ap.add_subjects(actor=None, campaign=c, orgs=subjects)
        if listed:
            ap.set_participants(actor=None, campaign=c, roles=["committee"], members=listed)
        while c.state != state:
            c = ap.advance(actor=None, campaign=c, on=max(world.today, opened_on))
        return c

    world.obj["appraisal"] = held(o["A"], world.today.year, [o["A1"]], "reporting", [p["self"]])
    world.obj["appraisal_subject"] = world.obj["appraisal"].subjects.get()
    world.obj["appraisal_voting"] = held(
        o["A"], world.today.year - 1, [o["A1"], o["A2"]], "voting", [p["self"]]
    )
    closed = held(o["A"], world.today.year - 2, [o["A1"]], "voting")
    subject = closed.subjects.get()
    ap.upload_report(
        actor=None, subject=subject, upload=SimpleUploadedFile("甲一书记述职报告.pdf", _pdf("述职报告"))
    )
    world.obj["appraisal_closed"] = ap.advance(actor=None, campaign=closed, confirm_gaps=True)  # no 述职日期
    world.obj["appraisal_report"] = subject
    held(o["B"], world.today.year, [o["B1"]], "reporting")


def _export_job(user):
    """A finished background export of 甲一's roll (core.exports), made by its 支部管理员."""
    import uuid

    from django.http import QueryDict
    from django.utils import timezone

    from dangjian.core import exports
    from dangjian.core.models import ExportJob

    job = ExportJob.objects.create(
        id=uuid.uuid4(),
        user=user,
        kind="members",
        status="done",
        filename="党员名册.xlsx",
        finished_at=timezone.now(),
    )
    exports.store(job, exports.EXPORTS["members"].build(user, QueryDict(), exports.no_progress).content)
    return job


def _secrets(world: World, persona: str) -> list[Secret]:
    """What `persona` must not see: the names and codes of organisations outside its scope (ancestors of an
    organisation in scope are context, not secret), the names and 身份证号 of members and applicants outside
    it (the name of a member holding a post in an organisation in scope is that organisation's data)."""
    from dangjian.orgs.models import Post

    scope = [world.orgs[k] for k in (*SCOPE_ORGS[persona], *OWN_BRANCH.get(persona, ()))]
    seen_orgs = {key for key, org in world.orgs.items() if any(s.path.startswith(org.path) for s in scope)}
    in_scope = {world.orgs[k].pk for k in SCOPE_ORGS[persona]}
    holders = set(Post.objects.filter(org_id__in=in_scope).values_list("member_id", flat=True))
    secrets = []
    for key, org in world.orgs.items():
        if key not in seen_orgs:
            secrets += [Secret(org.name, "org_name", key), Secret(org.code, "org_code", key)]
    for key, member in world.people.items():
        own = persona == "member" and key == "self"
        if not own and member.org_id not in in_scope:
            secrets.append(Secret(member.id_number, "member_id", key))
            if member.pk not in holders:
                secrets.append(Secret(member.name, "member_name", key))
    for key, case in world.cases.items():
        if persona == "member" or case.org_id not in in_scope:
            secrets += [Secret(case.name, "applicant_name", key), Secret(case.id_number, "applicant_id", key)]
    return secrets


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The records, users and logged-in clients, built once; rolled back when the module ends."""
    var = tmp_path_factory.mktemp("matrix")
    with (
        override_settings(
            MEDIA_ROOT=var / "media",
            VAR_DIR=var,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        w = World()
        _build(w)
        yield w
        transaction.set_rollback(True)


def state() -> dict[str, list]:
    """Every row of every dangjian table (audit events, history and snapshots included)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model.__module__.startswith("dangjian.")
    }


# --- the table --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """Expected outcomes per persona, in PERSONAS order: a status code, "login" (302 to the login page) or
    "302" (a redirect elsewhere). On POST, a "+" marks a write that is accepted: it must change data;
    every other POST outcome (a refusal) must leave every row unchanged."""

    get: str
    post: str | None = None
    kwargs: Any = None  # world → URL kwargs
    query: Any = None  # world → GET query
    data: Any = None  # world → POST body
    headers: dict | None = None
    # the system personas (SYSTEM_PERSONAS order); None: refused (403, 404 or 405), a POST changing nothing
    system: str | None = None
    system_post: str | None = None

    def expected(self, method: str) -> dict[str, str]:
        tokens = (self.get if method == "get" else self.post).split()
        assert len(tokens) == len(PERSONAS), tokens
        return dict(zip(PERSONAS, tokens, strict=True))

    def expected_system(self, method: str) -> dict[str, str]:
        line = self.system if method == "get" else self.system_post
        tokens = line.split() if line else ["refused"] * len(SYSTEM_PERSONAS)
        assert len(tokens) == len(SYSTEM_PERSONAS), tokens
        return dict(zip(SYSTEM_PERSONAS, tokens, strict=True))


def pk(key):
    return lambda w: {"pk": w.obj[key].pk}


def org_pk(key):
    return lambda w: {"pk": w.orgs[key].pk}


def person_pk(key):
    return lambda w: {"pk": w.people[key].pk}


def day(w: World, delta: int = 0) -> str:
    return (w.today + dt.timedelta(days=delta)).isoformat()


def member_form(w, **overrides) -> dict:
    data = {
        "name": "郑新党员",
        "id_number": "11010519491231002X",
        "ethnicity": "汉族",
        "education": "bachelor",
        "phone": "13900001111",
        "category": "formal",
        "joined_on": "2012-07-01",
        "confirmed_on": "2013-07-01",
        "org": str(w.orgs["A1"].pk),
        "work_status": "active",
        "position": "科员",
    }
    data.update(overrides)
    return data


def meeting_form(w, **overrides) -> dict:
    data = {
        "org": str(w.orgs["A1"].pk),
        "date": day(w, -1),
        "types": ["theme_day"],
        "topic": "主题党日",
        "place": "会议室",
        "host": "",
        "lecturer": "",
        "lecturer_name": "",
        "observers": "",
        "agenda": "议题",
        "content": "内容",
        "decisions": "决定",
    }
    data.update(overrides)
    return data


def election_form(w) -> dict:
    voters = [w.people[k] for k in ("shuji", "target", "self", "xiaozu")]
    data = {
        "org": w.orgs["A1"].pk,
        "held_on": day(w, -2),
        "form": "assembly",
        "present": 9,
        "seats": 3,
        "ballots_issued": 9,
        "ballots_returned": 9,
        "expected": "",
        "c-TOTAL_FORMS": 4,
        "c-INITIAL_FORMS": 0,
        "c-MIN_NUM_FORMS": 0,
        "c-MAX_NUM_FORMS": 1000,
    }
    for i, (m, v) in enumerate(zip(voters, (9, 8, 7, 2), strict=True)):
        data.update(
            {f"c-{i}-member": m.pk, f"c-{i}-title": "shuji" if i == 0 else "weiyuan", f"c-{i}-votes": v}
        )
    return data


def members_workbook(w) -> dict:
    """A 党员名册 workbook renaming the owning branch's member (a dry run: the preview writes nothing; the
    member's current name must not appear in the preview of a user outside the branch)."""
    from openpyxl import load_workbook

    from dangjian.core.imports import export_workbook
    from dangjian.members.models import Member

    book = load_workbook(
        io.BytesIO(export_workbook("members", Member.objects.filter(pk=w.people["target"].pk)))
    )
    sheet = book.active
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == w.people["target"].name:
                cell.value = "郑改名党员"
    buffer = io.BytesIO()
    book.save(buffer)
    return {"file": SimpleUploadedFile("名册.xlsx", buffer.getvalue())}


def user_pk(persona):
    return lambda w: {"pk": w.users[persona].pk}


NONE_GET = NONE_POST = "login 403 403 403 403 403 403"  # the system roles' pages: no party persona

H = {"HX-Request": "true"}
A1 = lambda w: {"org": w.orgs["A1"].pk}  # noqa: E731

# Columns: anon member a1 a2 b1 dw dw_only
TABLE: dict[str, Row] = {
    # --- dashboard, audit, imports
    "dashboard": Row("login 200 200 200 200 200 200", system="200 200 200"),
    # the 审计管理员 reads the whole trail; the other two system roles do not read it
    "portal:audit": Row("login 403 200 200 200 200 200", system="403 403 200"),
    # the audit page's organisation search (names and codes), among the organisations the reader may name, for a
    # word every organisation's name holds
    "portal:audit_orgs": Row(
        "login 403 200 200 200 200 200", query=lambda w: {"org_q": "矩阵"}, system="403 403 200"
    ),
    # the 审计管理员's export of what the audit page's filter selects (recorded as an export)
    "portal:audit_export": Row(NONE_GET, system="403 403 200"),
    # the 审计管理员 checks the audit log's hash chain: a write (the check's own audit event)
    "portal:audit_verify": Row(NONE_GET, post=NONE_POST, system="403 403 405", system_post="403 403 302+"),
    # one organisation's work list: the drill-down of the roll-up, inside the administered subtree only
    "portal:work_org": Row("login 403 200 404 404 200 404", kwargs=org_pk("A1")),
    # the data part of that organisation's 述职报告 (a Word document, read for leaks like the pages)
    "portal:report_docx": Row("login 403 200 404 404 200 404", kwargs=org_pk("A1")),
    "portal:import_index": Row("login 403 200 200 200 200 200"),
    # --- the notification centre: each user's own notifications (the one here is 甲一's administrator's)
    "reminders:list": Row("login 200 200 200 200 200 200", system="200 200 200"),
    "reminders:read": Row(
        "login 405 405 405 405 405 405",
        post="login 404 302+ 404 404 404 404",
        kwargs=pk("notification"),
        system="405 405 405",
    ),
    "reminders:read_all": Row(  # nobody else has an unread notification: their POST changes nothing
        "login 405 405 405 405 405 405",
        post="login 302 302+ 302 302 302 302",
        system="405 405 405",
        system_post="302 302 302",
    ),
    # each person's own channels and frequency
    "reminders:preferences": Row(
        "login 200 200 200 200 200 200",
        post="login 302+ 302+ 302+ 302+ 302+ 302+",
        data=lambda w: {"in_app": "on", "frequency": "weekly"},
        system="403 403 403",
    ),
    # each person's calendar URL (the 党员 has one); the system roles have no party calendar
    "reminders:calendar": Row("login 200 200 200 200 200 200", system="403 403 403"),
    "reminders:calendar_new": Row(
        "login 405 405 405 405 405 405", post="login 302+ 302+ 302+ 302+ 302+ 302+", system="405 405 405"
    ),
    "reminders:calendar_revoke": Row(
        "login 405 405 405 405 405 405", post="login 302+ 302 302 302 302 302", system="405 405 405"
    ),
    # the secret URL is the credential (a calendar client has no session): whoever holds the 党员's URL reads
    # the 党员's calendar, which names no organisation or person
    "reminders:feed": Row(
        "200 200 200 200 200 200 200", query=lambda w: {"token": w.obj["feed_token"]}, system="200 200 200"
    ),
    "portal:import_template": Row("login 403 200 200 200 200 200", kwargs=lambda w: {"kind": "members"}),
    "portal:import_upload": Row(  # a preview writes nothing but its audit event (clean or refused)
        "login 403 302 302 302 302 302",
        post="login 403 200+ 200+ 200+ 200+ 200+",
        kwargs=lambda w: {"kind": "members"},
        data=members_workbook,
    ),
    "portal:import_commit": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302 302 302 302 302",
        kwargs=lambda w: {"kind": "members"},
        data=lambda w: {"token": "0" * 32},
    ),
    # --- accounts (Django's views, configured here)
    "login": Row(  # a failed sign-in is a write: its audit event (accounts.signin)
        "200 302 302 302 302 302 302",
        post="200+ 302 302 302 302 302 302",
        data=lambda w: {"username": "mx_a1", "password": "wrong-password"},
        system="302 302 302",
        system_post="302 302 302",
    ),
    # signing out is recorded in the audit trail (accounts.signin): a write for everyone signed in
    "logout": Row(
        "405 405 405 405 405 405 405",
        post="login login+ login+ login+ login+ login+ login+",
        system="405 405 405",
        system_post="login+ login+ login+",
    ),
    "password_change": Row(
        "login 200 200 200 200 200 200",
        # a wrong current password: refused, and recorded as a failed sign-in (it counts toward the lock)
        post="login 200+ 200+ 200+ 200+ 200+ 200+",
        data=lambda w: {
            "old_password": "x",
            "new_password1": "N3w-pass-2026!",
            "new_password2": "N3w-pass-2026!",
        },
        system="200 200 200",
        system_post="200+ 200+ 200+",
    ),
    "password_change_done": Row("login 200 200 200 200 200 200", system="200 200 200"),
    # the second factor (accounts.otp): a persona's session has passed its second step (force_login, see
    # dangjian/conftest.py), so the verification page sends it on, refusing nothing and writing nothing
    "otp_verify": Row(
        "login 302 302 302 302 302 302",
        post="login 302 302 302 302 302 302",
        data=lambda w: {"code": "000000"},
        system="302 302 302",
        system_post="302 302 302",
    ),
    # one's own account only: every signed-in user (the system roles too), nobody else's authenticator
    "account_security": Row("login 200 200 200 200 200 200", system="200 200 200"),
    "otp_setup": Row(  # a wrong code enrols nothing
        "login 200 200 200 200 200 200",
        post="login 200 200 200 200 200 200",
        data=lambda w: {"code": "000000"},
        system="200 200 200",
        system_post="200 200 200",
    ),
    "otp_disable": Row(  # no authenticator to turn off: refused
        "login 405 405 405 405 405 405",
        post="login 302 302 302 302 302 302",
        data=lambda w: {"code": "000000"},
        system="405 405 405",
        system_post="302 302 302",
    ),
    "otp_recovery_codes": Row(  # no authenticator: no recovery codes to make
        "login 405 405 405 405 405 405",
        post="login 302 302 302 302 302 302",
        system="405 405 405",
        system_post="302 302 302",
    ),
    # sign-in locks concern every account: the 安全管理员 only (accounts/tests/test_signin.py)
    "locks": Row(
        "login 403 403 403 403 403 403",
        post="login 403 403 403 403 403 403",
        data=lambda w: {"username": "mx_a1"},
        system="403 200 403",
        system_post="403 302+ 403",
    ),
    # --- 三员分立: the system roles' pages (accounts/tests/test_sysroles.py); no party persona reaches them
    "system:users": Row(NONE_GET, system="200 403 403"),
    "system:user_new": Row(
        NONE_GET,
        post=NONE_POST,
        data=lambda w: {"username": "mx_new"},
        system="200 403 403",
        system_post="200+ 403 403",
    ),
    "system:user_detail": Row(NONE_GET, kwargs=user_pk("a2"), system="200 403 403"),
    "system:user_password": Row(
        NONE_GET, post=NONE_POST, kwargs=user_pk("a2"), system="405 403 403", system_post="200+ 403 403"
    ),
    "system:user_active": Row(
        NONE_GET,
        post=NONE_POST,
        kwargs=user_pk("a2"),
        data=lambda w: {"active": "0"},
        system="405 403 403",
        system_post="302+ 403 403",
    ),
    "system:request_party_grant": Row(
        NONE_GET,
        post=NONE_POST,
        kwargs=user_pk("a2"),
        data=lambda w: {"role": "branch_admin", "org": w.orgs["A1"].pk},
        system="405 403 403",
        system_post="302+ 403 403",
    ),
    # the grant form's organisation search (names and codes only), for a word every organisation's name holds
    "system:org_options": Row(NONE_GET, query=lambda w: {"org_q": "矩阵"}, system="200 403 403"),
    "system:request_system_grant": Row(
        NONE_GET,
        post=NONE_POST,
        kwargs=user_pk("b1"),
        data=lambda w: {"role": "audit_admin"},
        system="405 403 403",
        system_post="302 403 403",  # refused with a message: 乙一's admin holds a party role (三员分立)
    ),
    "system:request_party_revoke": Row(
        NONE_GET, post=NONE_POST, kwargs=pk("assignment_a2"), system="405 403 403", system_post="302+ 403 403"
    ),
    "system:request_system_revoke": Row(
        NONE_GET, post=NONE_POST, kwargs=pk("grant_shenji"), system="405 403 403", system_post="302+ 403 403"
    ),
    "system:requests": Row(NONE_GET, system="200 200 403"),
    "system:decide": Row(
        NONE_GET,
        post=NONE_POST,
        kwargs=pk("request"),
        data=lambda w: {"decision": "approve", "note": "同意"},
        system="403 405 403",
        system_post="403 302+ 403",
    ),
    "system:security": Row(NONE_GET, system="403 200 403"),
    # --- organisations
    "orgs:tree": Row("login 403 200 200 200 200 200"),
    "orgs:create": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 200 200 302+ 200",
        data=lambda w: {"code": "MXNEW", "name": "矩阵新小组", "type": "xiaozu", "parent": w.orgs["A1"].pk},
    ),
    "orgs:export": Row("login 403 200 200 200 200 200"),
    "orgs:post_export": Row("login 403 200 200 200 200 200"),
    # the pickers' searches, for a word every organisation's (every member's) name holds: the scope's only
    "orgs:options": Row("login 403 200 200 200 200 200", query=lambda w: {"field": "org", "org_q": "矩阵"}),
    "orgs:detail": Row("login 403 200 404 404 200 404", kwargs=org_pk("A1")),
    "orgs:subtree": Row("login 403 200 404 404 200 404", kwargs=org_pk("A1")),
    "orgs:edit": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=org_pk("A1"),
        data=lambda w: {
            "code": "MXA1",
            "name": "矩阵甲一支部",
            "type": "zhibu",
            "parent": w.orgs["A"].pk,
            "unit": "甲委改",
            "founded_on": "2018-03-01",
        },
    ),
    "orgs:delete": Row(
        "login 403 405 405 405 405 405", post="login 403 302 404 404 302 404", kwargs=org_pk("A1")
    ),
    "orgs:post_create": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=org_pk("A1"),
        data=lambda w: {"member": w.people["target"].pk, "title": "zuzhi", "started_on": day(w, -1)},
    ),
    "orgs:member_options": Row(
        "login 403 200 404 404 200 404", kwargs=org_pk("A1"), query=lambda w: {"member_q": "郑"}
    ),
    "orgs:post_edit": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("post"),
        data=lambda w: {
            "member": w.people["shuji"].pk,
            "title": "shuji",
            "started_on": "2020-01-01",
            "ended_on": day(w),
        },
    ),
    "orgs:post_delete": Row(
        "login 403 405 405 405 405 405", post="login 403 302+ 404 404 302+ 404", kwargs=pk("post")
    ),
    # --- members
    "members:list": Row("login 403 200 200 200 200 200"),
    "members:create": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 200 200 302+ 200",
        data=member_form,
    ),
    "members:export": Row("login 403 200 200 200 200 200"),
    # a background export's page and file: its user's only (core.exports)
    "portal:export_job": Row("login 403 200 404 404 404 404", kwargs=pk("export_job")),
    "portal:export_download": Row("login 403 200 404 404 404 404", kwargs=pk("export_job")),
    "members:birthdays": Row("login 403 200 200 200 200 200"),
    "members:detail": Row("login 404 200 404 404 200 404", kwargs=person_pk("target")),
    "members:edit": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: member_form(
            w, name="郑甲一党员", id_number=w.people["target"].id_number, position="副科长"
        ),
    ),
    "members:reveal": Row(
        "login 405 405 405 405 405 405", post="login 404 200+ 404 404 200+ 404", kwargs=person_pk("target")
    ),
    "members:delete": Row(
        "login 403 405 405 405 405 405", post="login 403 302 404 404 302 404", kwargs=person_pk("target")
    ),
    "members:timeline": Row("login 404 200 404 404 200 404", kwargs=person_pk("target")),
    "members:birthday_card": Row("login 404 200 404 404 200 404", kwargs=person_pk("target")),
    # --- meetings
    "meetings:list": Row("login 403 200 200 200 200 200"),
    "meetings:create": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 200 200 302+ 200",
        data=meeting_form,
    ),
    # planning a meeting: optional, of an organisation the user records meetings for
    "meetings:plans": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 200 200 302+ 200",
        data=lambda w: {
            "org": str(w.orgs["A1"].pk),
            "date": day(w, 1),
            "types": ["theme_day"],
            "topic": "计划",
        },
    ),
    # editing and cancelling a plan: its organisation's administrators (a plan outside the scope is a 404)
    "meetings:plan_edit": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("plan"),
        data=lambda w: {"date": day(w, 8), "types": ["theme_day", "lecture"], "topic": "改期的主题党日"},
    ),
    "meetings:plan_cancel": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("plan"),
        data=lambda w: {"reason": "与上级会议冲突"},
    ),
    "meetings:roster": Row(
        "login 403 200 404 404 200 404",
        query=lambda w: {"org": w.orgs["A1"].pk, "date": day(w, -1), "types": "assembly"},
    ),
    "meetings:calendar": Row("login 403 200 200 200 200 200"),
    "meetings:todo": Row("login 403 200 200 200 200 200"),
    "meetings:detail": Row("login 403 200 404 404 200 404", kwargs=pk("meeting")),
    "meetings:edit": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("meeting"),
        data=lambda w: meeting_form(
            w, date=w.obj["meeting"].date.isoformat(), types=["assembly"], topic="改"
        ),
    ),
    "meetings:delete": Row(
        "login 403 405 405 405 405 405", post="login 403 302+ 404 404 302+ 404", kwargs=pk("meeting")
    ),
    "meetings:attachment": Row("login 403 200 404 404 200 404", kwargs=pk("attachment")),
    "meetings:absences": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "member": w.people["lost"].pk,
            "reviewed_on": day(w),
            "through_month": f"{add_months(w.month, -1):%Y-%m}",
            "decision": "contact",
            "reason": "正在联系核实",
        },
    ),
    # --- compliance
    "compliance:overview": Row("login 403 200 200 200 200 200"),
    "compliance:rows": Row("login 403 200 200 200 200 200", query=lambda w: {"unit": "甲委"}, headers=H),
    "compliance:org": Row("login 403 200 404 404 200 404", kwargs=org_pk("A1")),
    "compliance:export": Row("login 403 200 200 200 200 200"),
    "compliance:rules": Row("login 403 200 200 200 200 200"),
    "assessment:scheme": Row("login 403 200 200 200 200 200"),
    # --- 机关党建考核: the assessors are the 工委's administrators (no persona here): every assessor's write is
    # refused; a unit's 自评 is written by the administrators of its 机关党委 with its branches (dw only)
    "assessment:index": Row("login 403 200 200 200 200 200"),
    "assessment:open": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 404 404",
        data=lambda w: {"year": ASSESS_YEAR + 1},
    ),
    "assessment:round": Row("login 403 200 200 200 200 200", kwargs=assessment_kwargs()),
    "assessment:advance": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 404 404",
        kwargs=assessment_kwargs(),
        data=lambda w: {"stage": "self"},
    ),
    "assessment:export": Row("login 403 200 200 200 200 200", kwargs=assessment_kwargs()),
    "assessment:unit": Row("login 403 404 404 404 200 404", kwargs=assessment_kwargs(org="A")),
    "assessment:self_review": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 302+ 404",
        kwargs=assessment_kwargs(org="A", indicator="ORG-02"),
        data=lambda w: {"text": "二季度支部党员大会的记录已补录。"},
    ),
    "assessment:score": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 404 404",
        kwargs=assessment_kwargs(org="A", indicator="POL-02"),
        data=lambda w: {"points": "8", "reason": "会议纪要齐全"},
    ),
    # the 2026 round is in 单位自评: no branch has a tier yet, so no 整顿 plan page exists for anyone
    "assessment:rectification": Row(
        "login 403 404 404 404 404 404",
        post="login 403 404 404 404 404 404",
        kwargs=assessment_kwargs(org="A2"),
        data=lambda w: {
            "action": "save",
            "measures": "按月召开支委会",
            "responsible": "书记",
            "due": day(w, 30),
        },
    ),
    "assessment:rule": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 404 404",
        kwargs=pk("assessment_review"),
        data=lambda w: {"accept": "1", "adjusted": "6", "text": "核实"},
    ),
    # --- 党费
    "dues:sheet": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "org": w.orgs["A1"].pk,
            "month": f"{w.month:%Y-%m}",
            f"p{w.people['self'].pk}-pick": "on",
            f"p{w.people['self'].pk}-amount": "30",
            f"p{w.people['self'].pk}-method": "cash",
            f"p{w.people['self'].pk}-paid_on": day(w),
        },
    ),
    "dues:export": Row("login 403 200 200 200 200 404"),
    "dues:collection_day": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {"org": w.orgs["A1"].pk, "month": f"{w.month:%Y-%m}", "day": 15},
    ),
    "dues:reminders": Row("login 403 200 200 200 200 200"),
    "dues:arrears": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "member": w.people["arrears"].pk,
            "reviewed_on": day(w),
            "through_month": f"{add_months(w.month, -1):%Y-%m}",
            "decision": "justified",
            "reason": "已谈话",
        },
    ),
    "dues:summary": Row("login 403 200 200 200 200 200"),
    "dues:publication": Row("login 403 200 200 200 200 200"),
    "dues:member": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: {
            "first_month": f"{w.month:%Y-%m}",
            "last_month": f"{add_months(w.month, 8):%Y-%m}",
            "amount": "30",
            "paid_on": day(w),
            "method": "cash",
            "branch_consent": "on",
            "consent_on": day(w),
            "additional": "on",  # the world has a payment for this month: a marked second one
        },
    ),
    # a 党费减免 is corrected or deleted by the administrators of the 党委 that approved it, never by its member's
    # branch (403: told who records it)
    "dues:relief_edit": Row(
        "login 403 403 404 404 200 404",
        post="login 403 403 404 404 302+ 404",
        kwargs=pk("relief"),
        data=lambda w: {
            "relief-kind": "reduce",
            "relief-monthly_amount": "5",
            "relief-start_month": f"{add_months(w.month, -3):%Y-%m}",
            "relief-end_month": f"{add_months(w.month, -1):%Y-%m}",
            "relief-approved_by": w.orgs["A"].pk,
            "relief-approved_on": day(w),
            "relief-approval_ref": "甲委〔2026〕7号",
            "relief-reason": "长期患病，生活困难",
        },
    ),
    "dues:relief_delete": Row(
        "login 403 403 404 404 200 404",
        post="login 403 403 404 404 302+ 404",
        kwargs=pk("relief"),
        data=lambda w: {"reason": "误登记"},
    ),
    "dues:mine": Row("login 200 404 404 404 404 404"),
    # a calculator over the published rate table: it reads no record, so any signed-in account may use it
    "dues:calculator": Row(
        "login 200 200 200 200 200 200",
        post="login 400 400 400 400 400 400",
        data=lambda w: {},
        system="200 200 200",
        system_post="400 400 400",
    ),
    # --- 发展党员
    "pipeline:index": Row("login 403 200 200 200 200 200"),
    "pipeline:rollup": Row("login 403 200 200 200 200 200"),
    "pipeline:create": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 400 400 302+ 400",
        data=lambda w: {
            "org": w.orgs["A1"].pk,
            "name": "郑新申请人",
            "id_number": "11010519491231002X",
            "phone": "",
            "applied_on": day(w, -1),
            "note": "",
        },
    ),
    "pipeline:detail": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=lambda w: {"pk": w.cases["case"].pk},
        data=lambda w: {"step": "talk", "date": day(w, -1), "note": ""},
    ),
    "pipeline:step_approver": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302 404 404 302+ 404",  # the branch does not record its 党委's approval
        kwargs=lambda w: {
            "pk": w.cases["approved"].pk,
            "step": w.cases["approved"].steps.get(key="approval").pk,
        },
        data=lambda w: {"approver_org": w.orgs["A"].pk},
    ),
    "pipeline:step_undo": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302 404 404 302+ 404",  # the branch does not undo its 党委's approval
        kwargs=lambda w: {
            "pk": w.cases["approved"].pk,
            "step": w.cases["approved"].steps.get(key="approval").pk,
        },
        data=lambda w: {"reason": "审批日期填错"},
    ),
    "pipeline:applicant": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=lambda w: {"pk": w.cases["case"].pk},
        data=lambda w: {"name": "郑甲一更正", "id_number": "11010519491231002X"},
    ),
    # --- movements
    "movements:index": Row("login 403 200 200 200 200 200"),
    "movements:summary": Row("login 403 200 200 200 200 200"),
    "movements:member": Row("login 403 200 404 404 200 404", kwargs=person_pk("target")),
    "movements:status": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: {
            "status": "suspended",
            "effective_on": day(w),
            "decided_on": day(w),
            "decision_body": "矩阵甲一支部党员大会",
            "note": "",
        },
    ),
    "movements:stint_start": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: {"destination": "外省", "left_on": day(w, -1), "note": ""},
    ),
    "movements:lost": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: {"lost_on": day(w, -1), "note": ""},
    ),
    "movements:transfer_start": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: {"to_org": w.orgs["A2"].pk, "started_on": day(w), "reason": "调动"},
    ),
    "movements:transfer_out": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=person_pk("target"),
        data=lambda w: {
            "letter_no": "JX-1",
            "destination": "外省某党委",
            "transferred_on": day(w),
            "note": "",
        },
    ),
    "movements:stint_return": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("stint"),
        data=lambda w: {"returned_on": day(w)},
    ),
    "movements:contact": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("stint"),
        data=lambda w: {"contacted_on": day(w), "way": "phone", "note": ""},
    ),
    "movements:stint_purpose": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("stint"),
        data=lambda w: {"abroad_purpose": "work"},
    ),
    "movements:stint_decision": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("stint"),
        data=lambda w: {"decided_on": day(w), "decision": "经支部党员大会研究，保留党籍"},
    ),
    "movements:regained": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("lost"),
        data=lambda w: {"regained_on": day(w), "note": ""},
    ),
    "movements:transfer": Row("login 403 200 404 200 200 404", kwargs=pk("transfer")),
    "movements:accept": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 302+ 404 404",
        kwargs=pk("transfer"),
        data=lambda w: {"accepted_on": day(w)},
    ),
    "movements:transfer_return": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 302+ 404 404",
        kwargs=pk("transfer"),
        data=lambda w: {"returned_on": day(w), "return_reason": "材料不全"},
    ),
    "movements:transfer_in": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 400 400 302+ 400",
        data=lambda w: {
            **member_form(w, name="郑转入党员"),
            "letter_no": "ZR-1",
            "origin": "外省某支部",
            "transferred_on": day(w),
        },
    ),
    # --- 换届选举
    "elections:index": Row("login 403 200 200 200 200 200"),
    "elections:create": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=election_form,
    ),
    "elections:detail": Row("login 403 200 404 404 200 404", kwargs=pk("election")),
    "elections:approve": Row(
        "login 403 405 405 405 405 405",
        post="login 403 400 404 404 302+ 404",  # the branch does not approve its own election
        kwargs=pk("election"),
        data=lambda w: {"approved_on": day(w), "approving_body": "矩阵甲委机关党委"},
    ),
    "elections:delete": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",  # the world's election is not approved: it may be deleted
        kwargs=pk("election"),
    ),
    "elections:congress_approval": Row(
        "login 403 405 405 405 405 405",
        post="login 403 400 404 404 302+ 404",  # the branch does not record the approval of its own congress
        kwargs=pk("election"),
        data=lambda w: {"approval_ref": "矩阵甲委〔2026〕1号", "approved_on": day(w, -30)},
    ),
    "elections:adjust": Row(
        "login 403 200 404 404 200 404",
        post="login 403 400 404 404 302+ 404",  # nor the postponement of its own 换届
        kwargs=lambda w: {"org_pk": w.orgs["A1"].pk},
        data=lambda w: {
            "kind": "postpone",
            "new_due_on": add_months(w.orgs["A1"].term_end, 6).isoformat(),
            "approved_on": day(w),
            "approving_body": "矩阵甲委机关党委",
            "reason": "机构改革",
        },
    ),
    # --- training
    "training:index": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 400 400 302+ 400",
        data=lambda w: {
            "title": "支部书记轮训",
            "organiser": "市委党校",
            "level": "county_rotation",
            "org": w.orgs["A1"].pk,
            "started_on": day(w, -1),
            "ended_on": day(w, -1),
            "hours": "8",
        },
    ),
    "training:detail": Row("login 403 200 404 404 200 404", kwargs=pk("training")),
    "training:add_participants": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("training"),
        data=lambda w: {"member": [w.people["self"].pk], "completed": "on"},
    ),
    "training:remove_participant": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=lambda w: {"pk": w.obj["training"].pk, "participant_pk": w.obj["participant"].pk},
    ),
    "training:edit": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("training"),
        data=lambda w: {
            "title": "甲一书记轮训（更正）",
            "organiser": "市委党校",
            "level": "county_rotation",
            "started_on": w.obj["training"].started_on.isoformat(),
            "ended_on": w.obj["training"].ended_on.isoformat(),
            "hours": "6",
        },
    ),
    "training:delete": Row(
        "login 403 405 405 405 405 405", post="login 403 302+ 404 404 302+ 404", kwargs=pk("training")
    ),
    "training:roster": Row("login 403 200 404 404 200 404", kwargs=pk("training")),
    "training:hours": Row("login 403 200 200 200 200 200"),
    "training:rollup": Row("login 403 200 200 200 200 200"),
    "training:secretary": Row("login 200 404 404 404 404 404"),
    # --- 民主评议党员
    "evaluations:index": Row("login 403 200 200 200 200 200"),
    # the last year but two: 甲一 has evaluations of this year and the two before
    "evaluations:open": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "org": w.orgs["A1"].pk,
            "year": w.today.year - 3,
            "opened_on": dt.date(w.today.year - 3, 12, 1).isoformat(),
            "organ": "committee",
        },
    ),
    # a 党委 opens for all its branches (甲一 and 甲二 have none for that year): only a 党委/党总支 administrator
    # has the page; one without its branches (dw_only) is refused on POST, changing nothing
    "evaluations:open_for_branches": Row(
        "login 403 404 404 404 200 200",
        post="login 403 404 404 404 302+ 404",
        data=lambda w: {
            "org": w.orgs["A"].pk,
            "year": w.today.year - 3,
            "opened_on": dt.date(w.today.year - 3, 12, 1).isoformat(),
            "organ": "committee",
        },
    ),
    "evaluations:detail": Row("login 403 200 404 404 200 404", kwargs=pk("evaluation")),
    "evaluations:advance": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("evaluation"),
        data=lambda w: {"step": "voting"},
    ),
    # 按党小组测评 until the 测评 begins (甲一 has a member in its 党小组)
    "evaluations:grouping": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("evaluation_self"),
        data=lambda w: {"by_group": "on"},
    ),
    "evaluations:tallies": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("evaluation"),
        data=lambda w: {"paper_ballots": 3, f"c-{w.obj['eval_participant'].pk}-excellent": 2},
    ),
    "evaluations:grades": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("evaluation_grading"),
        data=lambda w: {
            f"g-{p.pk}": "qualified" for p in w.obj["evaluation_grading"].participants.filter(formal=True)
        },
    ),
    "evaluations:self_assessment": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("eval_participant"),
        data=lambda w: {"text": "认真学习，按时参加组织生活。"},
    ),
    "evaluations:followup": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("participant_unqualified"),
        data=lambda w: {"outcome": "corrected", "decided_on": day(w)},
    ),
    # a member's own evaluations; an account without a member record has none
    "evaluations:mine": Row("login 200 404 404 404 404 404"),
    # the 党员's own 个人自评, written online during that step: nobody else has one to write here
    "evaluations:own_self_assessment": Row(
        "login 405 405 405 405 405 405",
        post="login 302+ 404 404 404 404 404",
        kwargs=pk("evaluation_self"),
        data=lambda w: {f"s{w.obj['own_participant'].pk}-text": "认真学习，按时参加组织生活。"},
    ),
    # the 党员's own 测评票 (they are a 正式党员 of 甲一): nobody else has a ballot here, administrators included;
    # the ballot names the other participants (names only), never how anyone voted
    "evaluations:vote": Row(
        "login 200 404 404 404 404 404",
        post="login 302+ 404 404 404 404 404",
        kwargs=pk("evaluation"),
        data=lambda w: {
            f"r-{p.pk}": "qualified"
            for p in w.obj["evaluation"].participants.exclude(member=w.people["self"])
        },
    ),
    # --- 述职评议: the 党委's campaigns (its administrators, with or without the branches: the 党委 holds it)
    "appraisals:index": Row("login 403 200 200 200 200 200"),
    "appraisals:new": Row(
        "login 403 404 404 404 200 200",
        post="login 403 404 404 404 302+ 302+",
        data=lambda w: {
            "owner": w.orgs["A"].pk,
            "year": w.today.year - 3,
            "opened_on": dt.date(w.today.year - 3, 12, 1).isoformat(),
        },
    ),
    "appraisals:detail": Row("login 403 404 404 404 200 200", kwargs=pk("appraisal_voting")),
    "appraisals:subjects": Row(
        "login 403 404 404 404 200 200",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal"),
        data=lambda w: {"orgs": [w.orgs["A2"].pk]},
    ),
    "appraisals:items": Row(
        "login 403 404 404 404 200 200",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal"),
        data=lambda w: {"name-0": "综合评价", "weight-0": "2", "name-1": "履行管党治党责任", "weight-1": "1"},
    ),
    "appraisals:participants": Row(
        "login 403 404 404 404 200 200",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal"),
        data=lambda w: {"roles": ["committee", "members"]},
    ),
    "appraisals:advance": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal"),
        data=lambda w: {"state": "reporting"},
    ),
    "appraisals:tallies": Row(
        "login 403 404 404 404 200 200",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal_voting"),
        data=lambda w: {
            "paper_ballots": 3,
            **{
                f"c-{s.pk}-{i.pk}-good": 2
                for s in w.obj["appraisal_voting"].subjects.all()
                for i in w.obj["appraisal_voting"].items.all()
            },
        },
    ),
    "appraisals:summary_xlsx": Row("login 403 404 404 404 200 200", kwargs=pk("appraisal_closed")),
    # a secretary's page: the branch's administrator uploads the final report, the 党委's reads it; a 党委管理员
    # without the branches reads it but cannot upload for the branch
    "appraisals:subject": Row(
        "login 403 200 404 404 200 200",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("appraisal_subject"),
        data=lambda w: {"report": SimpleUploadedFile("述职报告.pdf", _pdf("述职报告定稿"))},
    ),
    "appraisals:reported": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal_subject"),
        data=lambda w: {"reported_on": day(w)},
    ),
    "appraisals:report": Row("login 403 200 404 404 200 200", kwargs=pk("appraisal_report")),
    # takes 甲一 out of this year's campaign: the 党委's administrators (the owner), not the branch's
    "appraisals:remove_subject": Row(
        "login 403 405 405 405 405 405",
        post="login 403 404 404 404 302+ 302+",
        kwargs=pk("appraisal_subject"),
        data=lambda w: {},
    ),
    "appraisals:mine": Row("login 200 404 404 404 404 404"),
    # the 党员's own 测评票 (listed in last year's campaign): the secretaries of 甲一 and 甲二 by name, never a figure
    "appraisals:vote": Row(
        "login 200 404 404 404 404 404",
        post="login 302+ 404 404 404 404 404",
        kwargs=pk("appraisal_voting"),
        data=lambda w: {
            f"r-{s.pk}-{i.pk}": "good"
            for s in w.obj["appraisal_voting"].subjects.all()
            for i in w.obj["appraisal_voting"].items.all()
        },
    ),
    # --- talks
    "talks:index": Row("login 403 200 200 200 200 200"),
    "talks:talk_new": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "org": w.orgs["A1"].pk,
            "date": day(w, -1),
            "participants": [w.people["shuji"].pk, w.people["self"].pk],
            "form": "",
        },
    ),
    "talks:talk_delete": Row(
        "login 403 405 405 405 405 405", post="login 403 302+ 404 404 302+ 404", kwargs=pk("talk")
    ),
    "talks:pair_new": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "org": w.orgs["A1"].pk,
            "mentor": w.people["shuji"].pk,
            "mentee": w.people["self"].pk,
            "started_on": day(w),
            "ended_on": "",
            "goal": "熟悉业务",
        },
    ),
    "talks:pair_end": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("pair"),
        data=lambda w: {"ended_on": day(w)},
    ),
    "talks:group_new": Row(
        "login 403 200 200 200 200 200",
        post="login 403 302+ 404 404 302+ 404",
        data=lambda w: {
            "org": w.orgs["A1"].pk,
            "name": "新青年组",
            "founded_on": day(w),
            "leader": w.people["target"].pk,
            "members": [w.people["self"].pk],
        },
    ),
    "talks:group": Row(
        "login 403 200 404 404 200 404",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("group"),
        data=lambda w: {"date": day(w), "topic": "学习党章", "participants": [w.people["target"].pk]},
    ),
    "talks:group_members": Row(
        "login 403 405 405 405 405 405",
        post="login 403 302+ 404 404 302+ 404",
        kwargs=pk("group"),
        data=lambda w: {"leader": w.people["target"].pk, "members": [w.people["shuji"].pk]},
    ),
}

URL_NAMES = sorted(set(named_urls()) - set(EXCLUDED_URL_NAMES))


# --- tests ------------------------------------------------------------------------------------------------


def test_every_named_url_has_a_row_and_every_row_a_url():
    names = named_urls()
    assert sorted(set(names) - set(EXCLUDED_URL_NAMES) - set(TABLE)) == [], "URLs without a row in TABLE"
    assert sorted(set(TABLE) - set(names)) == [], "rows of TABLE naming no URL"
    assert sorted(set(EXCLUDED_URL_NAMES) - set(names)) == [], "excluded names that no longer exist"
    assert sorted(set(TABLE) & set(EXCLUDED_URL_NAMES)) == []


def test_every_row_gives_the_parameters_of_its_url(world):
    names = named_urls()
    for name, row in TABLE.items():
        given = set(row.kwargs(world)) if row.kwargs else set()
        assert given == url_parameters(names[name]), name


def test_what_each_persona_must_not_see(world):
    """The secrets the pages are searched for, per persona (so that the search can find something)."""
    a1_people = {"shuji", "target", "stint", "lost", "transfer", "arrears", "dw_shuji", "self", "xiaozu"}
    a2_people, b1_people = {"a2", "a2_shuji"}, {"b1", "b1_shuji"}
    everyone = a1_people | a2_people | b1_people
    all_orgs = {key for key, *_rest in ORGS}
    expected = {  # persona: (organisations, member names, member 身份证号, applicants)
        "anon": (all_orgs, everyone, everyone, {"case", "approved", "case_a2", "case_b1"}),
        "member": (
            all_orgs - {"GW", "A", "A1"},
            everyone - {"self"},
            everyone - {"self"},
            {"case", "approved", "case_a2", "case_b1"},
        ),
        "a1": (
            {"ADZ", "A2", "B", "BZZ", "B1"},
            a2_people | b1_people,
            a2_people | b1_people,
            {"case_a2", "case_b1"},
        ),
        "a2": (
            {"ADZ", "A1", "A1G1", "B", "BZZ", "B1"},
            a1_people | b1_people,
            a1_people | b1_people,
            {"case", "approved", "case_b1"},
        ),
        "b1": (
            {"ADZ", "A", "A1", "A1G1", "A2"},
            a1_people | a2_people,
            a1_people | a2_people,
            {"case", "approved", "case_a2"},
        ),
        "dw": ({"ADZ", "B", "BZZ", "B1"}, b1_people, b1_people, {"case_b1"}),
        # 甲委's 书记 is named on 甲委's pages (the post is 甲委's), never with his 身份证号
        "dw_only": (
            all_orgs - {"GW", "A"},
            everyone - {"dw_shuji"},
            everyone,
            {"case", "approved", "case_a2", "case_b1"},
        ),
    }
    for persona, (orgs, names, numbers, applicants) in expected.items():
        keys = {
            kind: {s.key for s in world.secrets[persona] if s.kind == kind}
            for kind in ("org_name", "org_code", "member_name", "member_id", "applicant_name", "applicant_id")
        }
        assert keys == {
            "org_name": orgs,
            "org_code": orgs,
            "member_name": names,
            "member_id": numbers,
            "applicant_name": applicants,
            "applicant_id": applicants,
        }, persona


@pytest.fixture
def client_for(world, db):
    """The persona's logged-in client; its cookies (session, messages) are restored after the test."""
    saved = {}

    def get(persona):
        client = world.clients[persona]
        saved[persona] = client.cookies
        client.cookies = client.cookies.__class__(client.cookies)
        return client

    yield get
    for persona, cookies in saved.items():
        world.clients[persona].cookies = cookies


def check(world, persona, name, method, response, expected):
    got = outcome(response)
    want = expected.rstrip("+")
    if want == "refused":
        assert got in ("403", "404", "405"), (
            f"{method.upper()} {name} as {PERSONA_LABELS[persona]}: {got}, expected a refusal"
        )
    else:
        assert got == want, f"{method.upper()} {name} as {PERSONA_LABELS[persona]}: {got}, expected {want}"
    if response.status_code != 302:
        text = body_text(response) + "\n" + response.get("Content-Disposition", "")
        found = leaks(text, world.hidden_from(persona, name))
        assert found == [], f"{method.upper()} {name} as {PERSONA_LABELS[persona]} shows {found}"


def _run(world, client_for, name, persona, get_expected, post_expected):
    row = TABLE[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    client = client_for(persona)
    query = row.query(world) if row.query else {}
    response = client.get(url, query, headers=row.headers or {})
    check(world, persona, name, "get", response, get_expected)
    if post_expected is None:
        return
    before = state()
    response = client.post(url, row.data(world) if row.data else {}, headers=row.headers or {})
    check(world, persona, name, "post", response, post_expected)
    after = state()
    changed = [label for label in before if before[label] != after[label]]
    if post_expected.endswith("+"):  # the body is one the owner can submit: the write happens
        assert changed != [], f"accepted POST {name} as {PERSONA_LABELS[persona]} changed nothing"
    else:
        assert changed == [], f"refused POST {name} as {PERSONA_LABELS[persona]} changed {changed}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", URL_NAMES)
def test_matrix(world, client_for, name, persona):
    assert name in TABLE, f"{name} has no row in TABLE"
    row = TABLE[name]
    post = row.expected("post")[persona] if row.post is not None else None
    _run(world, client_for, name, persona, row.expected("get")[persona], post)


# --- one-time form tokens ---------------------------------------------------------------------------------

# The POSTs some persona makes successfully that carry no one-time token (core.once), and why a repeat is
# harmless. Every other accepted POST records something, so its form is guarded: the test below replays it.
NOT_ONCE = {
    "login": "signing in",
    "logout": "signing out",
    "password_change": "the wrong current password of the row: each try counts toward the sign-in lock",
    "portal:import_upload": "a preview: stores the upload and writes no record (importing a file again changes nothing)",
    "orgs:edit": "an edit: the same values again",
    "orgs:post_edit": "an edit: the same values again",
    "members:edit": "an edit: the same values again",
    "meetings:edit": "an edit: the same values again",
    "meetings:plan_edit": "an edit of a plan: the same values again (and unchanged values record nothing)",
    "meetings:plan_cancel": "cancels a plan: a repeat is refused, the plan having been cancelled",
    "orgs:post_delete": "a deletion: a repeat finds nothing to delete",
    "meetings:delete": "a deletion: a repeat finds nothing to delete",
    "talks:talk_delete": "a deletion: a repeat finds nothing to delete",
    "elections:delete": "a deletion: a repeat finds nothing to delete",
    "training:remove_participant": "a deletion: a repeat finds nothing to delete",
    "training:edit": "an edit: the same values again (unchanged values record nothing)",
    "training:delete": "a deletion: a repeat finds nothing to delete",
    "members:reveal": "shows a member's personal data (an audited read), records nothing",
    "dues:collection_day": "a setting: the same day again",
    "dues:relief_edit": "an edit: the same values again (unchanged values record nothing)",
    "dues:relief_delete": "a deletion: a repeat finds nothing to delete",
    "pipeline:step_approver": "corrects a recorded step's approving organisation: the same one again",
    "pipeline:step_undo": "a deletion: a repeat finds nothing to delete",
    "pipeline:applicant": "an edit: the same values again",
    "training:add_participants": "the chosen members join once: a repeat finds them on the list",
    "talks:pair_end": "ends a pair: a repeat is refused, the pair having ended",
    "evaluations:advance": "moves on from the step the page showed: a repeat is refused, the evaluation having moved on",
    "evaluations:tallies": "sets the paper tallies: the same numbers again",
    "evaluations:grades": "sets the grades: the same grades again",
    "evaluations:self_assessment": "an edit: the same self-assessment again",
    "evaluations:followup": "an edit: the same outcome again",
    "evaluations:grouping": "a setting: the same choice again",
    "evaluations:own_self_assessment": "an edit: the same self-assessment again",
    "evaluations:vote": "a ballot is counted once: a repeat is refused (already voted) and changes nothing",
    "assessment:self_review": "an edit: the same explanation again",
    "appraisals:subjects": "adds subjects: a repeat is refused (already in the campaign) and changes nothing",
    "appraisals:items": "sets the items and weights: the same ones again",
    "appraisals:participants": "sets the participants' roles and list: the same ones again",
    "appraisals:advance": "moves on from the state the page showed: a repeat is refused, the campaign having moved on",
    "appraisals:tallies": "sets the paper tallies: the same numbers again",
    "appraisals:subject": "uploads the final report, replacing the earlier one: the same file again",
    "appraisals:reported": "an edit: the same day again",
    "appraisals:remove_subject": "a deletion: a repeat finds nothing to delete",
    "appraisals:vote": "a ballot is counted once: a repeat is refused (already voted) and changes nothing",
    "talks:group_members": "sets a group's members: the same list again",
    "locks": "lifts a sign-in lock: a repeat finds none",
    "reminders:read": "marks a notification read: a repeat finds it read and records nothing",
    "reminders:read_all": "marks the unread notifications read: a repeat finds none",
    "reminders:calendar_new": "a new calendar URL revoking the former: a repeat makes another, which replaces it",
    "reminders:calendar_revoke": "revokes the calendar URL: a repeat finds none",
    "reminders:preferences": "a setting: the same choice again",
    "portal:audit_verify": "checks the audit log's hash chain: a repeat checks it again (and records that check)",
}


def _writer(row) -> tuple[str, dict[str, str]]:
    """A persona whose POST of the row is accepted (a party persona first, else a system role), with the row's
    expectations for that persona's kind."""
    for expected in (row.expected("post"), row.expected_system("post")):
        for persona, want in expected.items():
            if want.endswith("+"):
                return persona, expected
    raise AssertionError("nobody's POST is accepted")


ACCEPTED = [
    name
    for name in URL_NAMES
    if name in TABLE and ("+" in (TABLE[name].post or "") or "+" in (TABLE[name].system_post or ""))
]


def test_not_once_names_accepted_posts():
    assert sorted(set(NOT_ONCE) - set(ACCEPTED)) == []


@pytest.mark.parametrize("name", [name for name in ACCEPTED if name not in NOT_ONCE])
def test_a_repeated_submission_records_nothing(world, client_for, name):
    """Every form that records something, posted twice with its one-time token (a double click, the browser's
    resend): the first is accepted, the second gets the page that says so and changes no row."""
    from dangjian.core import once

    row = TABLE[name]
    persona, expected = _writer(row)
    client = client_for(persona)
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    page = client.get(url, row.query(world) if row.query else {}, headers=row.headers or {})
    if page.status_code == 200:  # the page's own form (posting to itself) carries the token
        for form in re.findall(r"<form\b[^>]*>.*?</form>", page.content.decode(), re.S):
            head = form.split(">", 1)[0]
            if 'method="post"' in head and "action=" not in head:
                assert f'name="{once.FIELD}"' in form, f"{name}: the form of its page has no one-time token"
    data = {**(row.data(world) if row.data else {}), once.FIELD: once.issue()}
    first = client.post(url, data, headers=row.headers or {})
    assert outcome(first) == expected[persona].rstrip("+"), name
    before = state()
    second = client.post(url, data, headers=row.headers or {})
    assert second.status_code == 409, f"{name}: a repeated submission got {second.status_code}"
    assert "该表单已提交，请勿重复提交" in second.content.decode()
    after = state()
    assert [label for label in before if before[label] != after[label]] == [], name


@pytest.mark.parametrize("persona", SYSTEM_PERSONAS)
@pytest.mark.parametrize("name", URL_NAMES)
def test_system_roles_matrix(world, client_for, name, persona):
    """三员分立: the system roles reach their own pages only; every party page refuses them, every POST there
    changes nothing (the 审计管理员 writes nowhere but its own sign-out and password)."""
    assert name in TABLE, f"{name} has no row in TABLE"
    row = TABLE[name]
    post = row.expected_system("post")[persona] if row.post is not None else None
    _run(world, client_for, name, persona, row.expected_system("get")[persona], post)


def test_the_audit_admin_writes_nowhere():
    """Every POST of the table is refused to the 审计管理员, but signing out, a wrong current password on the
    change-password page (each only an audit event: the sign-out, the failed sign-in that counts toward the lock) and
    the check of the audit log's hash chain (its own audit event)."""
    accepted = sorted(
        name
        for name, row in TABLE.items()
        if row.post is not None and row.expected_system("post")["shenji"].endswith("+")
    )
    assert accepted == ["logout", "password_change", "portal:audit_verify"]
