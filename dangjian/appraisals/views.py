"""Pages of 述职评议: the campaigns of the user's scope for a year, opening one, a campaign's page (state,
subjects with their reports, items and weights, participants, turnout, results once closed), adding subjects,
editing items and participants, paper tallies, the summary workbook; a subject's page (the draft of the data
part to download, the final report to upload and read); the member's own campaigns and 测评票 (a page for a
phone). Views parse input, call one service and render; a campaign outside the user's scope is a 404, and so is
a ballot page for someone who has none."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error, ballot_post
from dangjian.appraisals import selectors, services
from dangjian.appraisals.choices import (
    EDITABLE_STATES,
    MISSING_ONLY_STATES,
    RATING_ORDER,
    STATE_ORDER,
    UPLOAD_STATES,
    Rating,
    State,
)
from dangjian.appraisals.forms import (
    CampaignForm,
    ItemsForm,
    ParticipantsForm,
    ReportedForm,
    ReportForm,
    SubjectsForm,
    TalliesForm,
    VoteForm,
)
from dangjian.appraisals.models import Campaign, Subject
from dangjian.appraisals.params import load_params
from dangjian.appraisals.xlsx import note, summary_tables
from dangjian.core import once, xlsx
from dangjian.core.downloads import export_response, personal_data
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.pii import lookup_hash
from dangjian.dues.forms import parse_year
from dangjian.members.models import Member
from dangjian.orgs.models import Org

RATINGS = [(r, Rating(r).label) for r in RATING_ORDER]
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
NAV = "appraisals"


def _posted(request):
    """The form's data on a POST (even an empty one: a ballot with nothing chosen is a bound, invalid form)."""
    return request.POST if request.method == "POST" else None


def _submitted(request, form, write):
    """A form page's POST: when the form is valid, `write(data)` calls one service and returns where to go and
    what to say; a refusal goes back on the form (out of scope: 404). Returns the redirect, or None to render
    the page again (with status 400 after a POST: `_status`)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        target, done = write(form.cleaned_data)
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        apply_service_error(form, exc)
        return None
    messages.success(request, done)
    return redirect(target)


def _status(request) -> int:
    return 400 if request.method == "POST" else 200


def _campaign(request, pk) -> Campaign:
    return get_object_or_404(Campaign.objects.visible_to(request.user).select_related("owner"), pk=pk)


def _detail(c: Campaign):
    return redirect("appraisals:detail", c.pk)


@admin_required
def index(request):
    """The campaigns of the year owned by the organisations the user administers, or a button to open one."""
    year = parse_year(request.GET.get("year"), dt.date.today().year)
    rows = selectors.status(Org.objects.visible_to(request.user), year)
    mine = (
        selectors.subjects_visible_to(request.user)
        .filter(campaign__year=year)
        .select_related("campaign", "org", "secretary")
    )
    context = {
        "nav": NAV,
        "year": year,
        "rows": rows,
        "may_open": bool(selectors.owners(request.user)),
        "own_subjects": [
            s for s in mine.order_by("org__path") if not scope_for(request.user).covers(s.campaign.owner)
        ],
    }
    return render(request, "appraisals/index.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def new(request):
    owners = selectors.owners(request.user)
    if not owners:
        raise Http404
    today = dt.date.today()
    initial = {"year": today.year, "opened_on": today, "owner": request.GET.get("owner")}
    form = CampaignForm(_posted(request), initial=initial, owners=owners)

    def write(data):
        owner = next(o for o in owners if o.pk == data["owner"])
        with once.guard(request) as claim:  # a second POST of the same form opens nothing
            c = services.create_campaign(
                actor=request.user,
                owner=owner,
                year=data["year"],
                opened_on=data["opened_on"],
                title=data["title"],
                report_year=data["report_year"],
                voting_to=data["voting_to"],
            )
            target = reverse("appraisals:detail", args=[c.pk])
            claim.created(target)
        return target, _("已开展述职评议，请添加述职的组织。")

    if response := _submitted(request, form, write):
        return response
    return render(request, "appraisals/new.html", {"nav": NAV, "form": form}, status=_status(request))


@admin_required
def detail(request, pk):
    c = _campaign(request, pk)
    people = selectors.subjects(c)
    found = selectors.results(c, people)
    index = STATE_ORDER.index(c.state)
    participants = list(c.participants.select_related("member__org").order_by("member__name"))
    no_date, no_report = services.closing_gaps(people)
    following = STATE_ORDER[index + 1] if index + 1 < len(STATE_ORDER) else None
    # before the 测评 opens and before the closing, the page says who has no 述职日期 or report, so that the move
    # is confirmed knowing it (closing then needs the "仍然结束" box; the 测评 may open, the gaps filled meanwhile)
    warned = following in (State.VOTING, State.CLOSED) and bool(no_date or no_report)
    context = {
        "nav": NAV,
        "c": c,
        "people": people,
        "items": list(c.items.all()),
        "participants": participants,
        "results": found,
        "note": note(found),
        "ratings": RATINGS,
        "editable": c.state in EDITABLE_STATES,
        "states": [(s, State(s).label, i < index, i == index) for i, s in enumerate(STATE_ORDER)],
        "next_state": State(STATE_ORDER[index + 1]).label if index + 1 < len(STATE_ORDER) else None,
        "params": load_params(),
        "gaps": services.describe_gaps(no_date, no_report) if warned else "",
        "gap_count": len({s.pk for s in [*no_date, *no_report]}),
        "closing": following == State.CLOSED,
        "no_date": no_date,
        "no_report": no_report,
    }
    return render(request, "appraisals/detail.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def add_subjects(request, pk):
    c = _campaign(request, pk)
    having = set(c.subjects.values_list("org_id", flat=True))
    candidates = [o for o in services.eligible_orgs(c) if o.pk not in having]
    form = SubjectsForm(_posted(request), candidates=candidates)

    def write(data):
        chosen = [o for o in candidates if o.pk in data["orgs"]]
        added = services.add_subjects(actor=request.user, campaign=c, orgs=chosen)
        return reverse("appraisals:detail", args=[c.pk]), _("已添加%(n)s个述职的组织。") % {"n": len(added)}

    if response := _submitted(request, form, write):
        return response
    secretaries = services.secretaries_of(candidates, dt.date.today())
    rows = [(o, secretaries.get(o.pk)) for o in candidates]
    context = {"nav": NAV, "c": c, "form": form, "rows": rows, "editable": c.state in EDITABLE_STATES}
    return render(request, "appraisals/subjects.html", context, status=_status(request))


@admin_required
@require_http_methods(["GET", "POST"])
def items(request, pk):
    c = _campaign(request, pk)
    form = ItemsForm(_posted(request), items=list(c.items.all()))

    def write(data):
        services.set_items(actor=request.user, campaign=c, items=form.items())
        return reverse("appraisals:detail", args=[c.pk]), _("已保存测评项目和权重。")

    if response := _submitted(request, form, write):
        return response
    rows = [(form[f"name-{n}"], form[f"weight-{n}"]) for n in range(form.rows)]
    context = {"nav": NAV, "c": c, "form": form, "rows": rows, "editable": c.state in EDITABLE_STATES}
    return render(request, "appraisals/items.html", context, status=_status(request))


def _listed(user, c: Campaign, lines: list[str]) -> list[Member]:
    """The members a list names — each line a name, or a 身份证号 where two share the name — among the members on
    the owner's roll the user sees (one query); a line that names nobody, or two people, is refused by name (the
    身份证号 never echoed)."""
    numbers = {line: lookup_hash(line) for line in lines if ID_NUMBER.match(line)}
    names = [line for line in lines if line not in numbers]
    found = list(
        Member.objects.visible_to(user)
        .on_roll(dt.date.today())
        .filter(org__path__startswith=c.owner.path)
        .filter(Q(name__in=names) | Q(id_number_hash__in=numbers.values()))
        .only("id", "name", "id_number_hash")
    )
    by_hash = {m.id_number_hash: m for m in found}
    chosen, unknown, twice = [], [], []
    for n, line in enumerate(lines, start=1):
        if line in numbers:
            member = by_hash.get(numbers[line])
            if member is None:
                unknown.append(_("第%(n)s行的身份证号") % {"n": n})
            else:
                chosen.append(member)
            continue
        same = [m for m in found if m.name == line]
        if not same:
            unknown.append(line)
        elif len(same) > 1:
            twice.append(line)
        else:
            chosen.append(same[0])
    if unknown:
        raise ServiceError(
            _("%(owner)s所属党员中没有：%(names)s。")
            % {"owner": c.owner.name, "names": enumeration(unknown)},
            field="members",
        )
    if twice:
        raise ServiceError(
            _("%(names)s有重名，请改填身份证号。") % {"names": enumeration(twice)}, field="members"
        )
    return list({m.pk: m for m in chosen}.values())


@admin_required
@require_http_methods(["GET", "POST"])
def participants(request, pk):
    c = _campaign(request, pk)
    listed = [
        p.member
        for p in c.participants.filter(source="listed")
        .select_related("member")
        .order_by("member__name_pinyin", "member__name")
    ]
    seen = set(
        Member.objects.visible_to(request.user)
        .filter(pk__in=[m.pk for m in listed])
        .values_list("pk", flat=True)
    )
    # a 党委管理员 without the branches sees the listed members of its own organisation only; the others stay listed
    hidden = [m for m in listed if m.pk not in seen]
    initial = {"roles": c.roles, "members": "\n".join(m.name for m in listed if m.pk in seen)}
    form = ParticipantsForm(_posted(request), initial=initial)

    def write(data):
        chosen = _listed(request.user, c, form.lines())
        services.set_participants(
            actor=request.user, campaign=c, roles=data["roles"], members=[*chosen, *hidden]
        )
        return reverse("appraisals:detail", args=[c.pk]), _("已保存测评人员范围。")

    if response := _submitted(request, form, write):
        return response
    context = {"nav": NAV, "c": c, "form": form, "editable": c.state in EDITABLE_STATES}
    return render(request, "appraisals/participants.html", context, status=_status(request))


@admin_required
@require_POST
def advance(request, pk):
    c = _campaign(request, pk)
    try:
        services.advance(
            actor=request.user,
            campaign=c,
            expected=request.POST.get("state") or None,
            confirm_gaps=request.POST.get("confirm_gaps") == "1",
        )
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已进入下一阶段。"))
    return _detail(c)


@admin_required
@require_http_methods(["GET", "POST"])
def tallies(request, pk):
    c = _campaign(request, pk)
    people = selectors.subjects(c)
    items_ = list(c.items.all())
    paper = {(s, i, r): n for s, i, r, n in c.tallies.values_list("subject_id", "item_id", "rating", "paper")}
    form = TalliesForm(
        _posted(request),
        subjects=people,
        items=items_,
        paper=paper,
        initial={"paper_ballots": c.paper_ballots},
    )

    def write(data):
        services.record_paper_tallies(
            actor=request.user, campaign=c, paper_ballots=data["paper_ballots"], counts=form.counts()
        )
        return reverse("appraisals:detail", args=[c.pk]), _("已登记纸质测评票。")

    if response := _submitted(request, form, write):
        return response
    rows = [(s, [(i, [form[f"c-{s.pk}-{i.pk}-{r}"] for r in RATING_ORDER]) for i in items_]) for s in people]
    context = {
        "nav": NAV,
        "c": c,
        "form": form,
        "rows": rows,
        "ratings": RATINGS,
        "open": c.state == State.VOTING,
    }
    return render(request, "appraisals/tallies.html", context, status=_status(request))


@admin_required
@require_GET
@personal_data
def summary_xlsx(request, pk):
    c = _campaign(request, pk)
    tables, n = summary_tables(c)
    return export_response(
        xlsx.tables_bytes(tables),
        _("%(title)s结果.xlsx") % {"title": c.title},
        actor=request.user,
        what=_("述职评议结果"),
        object_type="appraisals.campaign",
        org_path=c.owner.path,
        scope=c.title,
        rows=n,
    )


def _subject(request, pk) -> Subject:
    return get_object_or_404(
        selectors.subjects_visible_to(request.user).select_related("campaign__owner", "org", "secretary"),
        pk=pk,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def subject(request, pk):
    """A secretary's page: the draft of the data part (portal's report of the organisation for the campaign's
    report year), the final report to upload (the organisation's or the owner's administrator) and to read."""
    s = _subject(request, pk)
    c = s.campaign
    form = ReportForm(_posted(request), request.FILES if request.method == "POST" else None)

    def write(data):
        services.upload_report(actor=request.user, subject=s, upload=data["report"])
        return reverse("appraisals:subject", args=[s.pk]), _("已上传述职报告定稿。")

    if response := _submitted(request, form, write):
        return response
    owner = scope_for(request.user).covers(c.owner)
    context = {
        "nav": NAV,
        "s": s,
        "c": c,
        "form": form,
        "owner": owner,
        "reported_form": ReportedForm(initial={"reported_on": s.reported_on or dt.date.today()}),
        "may_upload": c.state in UPLOAD_STATES or (c.state in MISSING_ONLY_STATES and not s.report),
        "may_record": c.state in UPLOAD_STATES or (c.state in MISSING_ONLY_STATES and s.reported_on is None),
        "late": c.state in MISSING_ONLY_STATES,
        "draft_url": f"{reverse('portal:report_docx', args=[s.org_id])}?year={c.report_year}",
    }
    return render(request, "appraisals/subject.html", context, status=_status(request))


@admin_required
@require_POST
def reported(request, pk):
    s = _subject(request, pk)
    form = ReportedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写述职日期。"))
        return redirect("appraisals:subject", s.pk)
    try:
        services.record_reported(actor=request.user, subject=s, reported_on=form.cleaned_data["reported_on"])
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记述职日期。"))
    return redirect("appraisals:subject", s.pk)


@admin_required
@require_POST
def remove_subject(request, pk):
    """Takes the organisation out of the campaign (the owner's administrators, before the 测评)."""
    s = _subject(request, pk)
    try:
        services.remove_subject(actor=request.user, subject=s)
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已将%(org)s（书记%(name)s）移出本次述职评议。")
            % {"org": s.org.name, "name": s.secretary.name},
        )
    return redirect("appraisals:detail", s.campaign_id)


@admin_required
@require_GET
def report(request, pk):
    """The final report as uploaded (private: only through this scoped view, never a public media URL)."""
    s = _subject(request, pk)
    if not s.report:
        raise Http404
    try:
        handle = s.report.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=s.report_name or s.report.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def mine(request):
    """The member's campaigns: a 测评票 to cast, and whether they voted (never a figure)."""
    member_id = scope_for(request.user).member_id
    if not member_id:
        raise Http404
    rows = selectors.own_campaigns(member_id)
    return render(request, "appraisals/mine.html", {"nav": "appraisals_mine", "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def vote(request, pk):
    """The member's own 测评票: every secretary but themself × every item, four choices each, one submit. Only
    the member's own ballot, during the 测评; anyone without a ballot in this campaign gets a 404."""
    member_id = scope_for(request.user).member_id
    if not member_id:
        raise Http404
    c = get_object_or_404(
        Campaign.objects.filter(participants__member_id=member_id).select_related("owner"), pk=pk
    )
    others = [s for s in selectors.subjects(c) if s.secretary_id != member_id]
    items_ = list(c.items.all())
    done = selectors.has_voted(c, member_id)
    form = VoteForm(_posted(request), subjects=others, items=items_)
    response, status = ballot_post(
        request,
        form,
        voted=done,
        cast=lambda ratings: services.cast_vote(actor=request.user, campaign=c, ratings=ratings),
        thanks=_("投票成功，感谢您参加述职评议测评。"),
        repeat=_("您已参加本次述职评议测评，不能重复投票。"),
        back=reverse("appraisals:vote", args=[c.pk]),
    )
    if response is not None:
        return response
    rows = [(s, [(i, form[f"r-{s.pk}-{i.pk}"]) for i in items_]) for s in others]
    context = {
        "nav": "appraisals_mine",
        "c": c,
        "form": form,
        "rows": rows,
        "done": done,
        "open": c.state == State.VOTING,
    }
    return render(request, "appraisals/vote.html", context, status=status)
