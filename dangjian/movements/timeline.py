"""The movements timeline source: status changes, transfers (started, accepted, returned, out, in), 流动
stints (left, returned) and 失联 (lost, regained) of a member, from this app's records (four queries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from dangjian.members.timeline import TimelineEvent, register_timeline_source
from dangjian.movements.choices import ExitOutcome, TransferKind, TransferState
from dangjian.movements.models import LostContact, MobileStint, StatusChange, Transfer
from dangjian.orgs.choices import chinese_label


@register_timeline_source("movements")
def movement_events(member, on: dt.date) -> Iterable[TimelineEvent]:
    page = reverse("movements:member", args=[member.pk])
    events: list[TimelineEvent] = []
    for c in StatusChange.objects.filter(member=member, effective_on__lte=on).select_related("org"):
        title = f"党籍状态：{c.get_old_status_display()} → {c.get_new_status_display()}"
        detail = "；".join(
            x
            for x in (
                chinese_label(ExitOutcome, c.outcome) if c.outcome else "",
                f"{c.decision_body} {c.decided_on:%Y-%m-%d}决定" if c.decision_body else "",
                c.note,
            )
            if x
        )
        events.append(TimelineEvent(c.effective_on, "movements.status", title, detail, c.org.code, page, 30))
    for t in Transfer.objects.filter(member=member, started_on__lte=on).select_related("from_org", "to_org"):
        url = reverse("movements:transfer", args=[t.pk])
        if t.kind == TransferKind.OUT:
            events.append(
                TimelineEvent(
                    t.started_on,
                    "movements.transfer_out",
                    "组织关系转出本系统",
                    f"转往{t.place}；介绍信编号 {t.letter_no}",
                    t.from_org.code,
                    url,
                    20,
                )
            )
            continue
        if t.kind == TransferKind.IN:
            events.append(
                TimelineEvent(
                    t.started_on,
                    "movements.transfer_in",
                    "组织关系转入本系统",
                    f"由{t.place}转入{t.to_org.name}；介绍信编号 {t.letter_no}",
                    t.to_org.code,
                    url,
                    20,
                )
            )
            continue
        events.append(
            TimelineEvent(
                t.started_on,
                "movements.transfer_started",
                "发起组织关系转接",
                f"{t.from_org.name} → {t.to_org.name}：{t.reason}",
                t.from_org.code,
                url,
                20,
            )
        )
        if t.decided_on and t.decided_on <= on:
            if t.state == TransferState.ACCEPTED:
                events.append(
                    TimelineEvent(
                        t.decided_on,
                        "movements.transfer_accepted",
                        "组织关系转接已接收",
                        f"转入{t.to_org.name}",
                        t.to_org.code,
                        url,
                        21,
                    )
                )
            elif t.state == TransferState.RETURNED:
                events.append(
                    TimelineEvent(
                        t.decided_on,
                        "movements.transfer_returned",
                        "组织关系转接被退回",
                        f"{t.to_org.name}退回：{t.return_reason}",
                        t.to_org.code,
                        url,
                        21,
                    )
                )
            elif t.state == TransferState.WITHDRAWN:
                events.append(
                    TimelineEvent(
                        t.decided_on,
                        "movements.transfer_withdrawn",
                        "组织关系转接已撤回",
                        f"{t.from_org.name}撤回：{t.return_reason}",
                        t.from_org.code,
                        url,
                        21,
                    )
                )
    for s in MobileStint.objects.filter(member=member, left_on__lte=on):
        where = f"{s.destination}；出国（境）" if s.abroad else s.destination
        events.append(TimelineEvent(s.left_on, "movements.stint", "外出流动", where, "", page, 25))
        if s.returned_on and s.returned_on <= on:
            events.append(
                TimelineEvent(s.returned_on, "movements.stint_returned", "流动返回", where, "", page, 26)
            )
    for lost in LostContact.objects.filter(member=member, lost_on__lte=on):
        events.append(TimelineEvent(lost.lost_on, "movements.lost", "失去联系", lost.note, "", page, 27))
        if lost.regained_on and lost.regained_on <= on:
            events.append(TimelineEvent(lost.regained_on, "movements.regained", "恢复联系", "", "", page, 28))
    return events
