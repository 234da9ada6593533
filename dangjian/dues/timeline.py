"""The 党费 timeline source: a member's payments (members.timeline)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from dangjian.members.timeline import TimelineEvent, months_label, register_timeline_source


@register_timeline_source("dues")
def dues_events(member, on: dt.date) -> list[TimelineEvent]:
    """One event per 党费 payment: months covered, amount, the member who paid on their behalf, the branch's
    consent (one query)."""
    from dangjian.dues.models import DuesPayment

    events = []
    payments = DuesPayment.objects.filter(member_id=member.pk, paid_on__lte=on).select_related("payer")
    for p in payments.order_by("paid_on", "id"):
        parts = [_("%(amount)s 元") % {"amount": f"{p.amount:.2f}"}]
        if p.payer_id:
            parts.append(_("代缴人：%(name)s") % {"name": p.payer.name})
        if p.branch_consent:  # 预交/补交 beyond 6 months, or another special case the branch agreed to
            parts.append(p.consent_label)
        if p.is_extra:
            title = _("自愿多交党费 %(months)s") % {"months": months_label(p.first_month, p.last_month)}
        else:
            title = _("交纳党费 %(months)s") % {"months": months_label(p.first_month, p.last_month)}
        events.append(
            TimelineEvent(
                date=p.paid_on,
                kind="dues.extra" if p.is_extra else "dues.payment",
                title=title,
                detail="；".join(parts),
                order=6,
            )
        )
    return events
