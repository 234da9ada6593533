"""The notification centre: the signed-in user's own notifications, newest first, and marking them read.
Every page reads the user's own rows only; another user's notification is not found."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import apply_service_error
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.pii import mask_phone
from dangjian.reminders import ical, services
from dangjian.reminders.calendar import events_for
from dangjian.reminders.forms import PreferenceForm
from dangjian.reminders.models import CalendarFeed, Notification, Preference

NEW_FEED = "reminders_new_feed"  # the session key holding a new feed URL until its page has shown it once


@login_required
@require_GET
def notification_list(request):
    mine = Notification.objects.filter(recipient_id=request.user.pk).select_related("org")
    page = Paginator(mine, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    receives = services.receives_reminders(scope_for(request.user))
    return render(
        request, "reminders/list.html", {"nav": "notifications", "page": page, "receives": receives}
    )


@login_required
@require_POST
def read(request, pk: int):
    """Marks the notification read; with `go`, then opens the page that settles it."""
    found = Notification.objects.filter(pk=pk, recipient_id=request.user.pk).first()
    if found is None:
        raise Http404
    try:
        services.mark_read(actor=request.user, notification=found)
    except OutOfScope:
        raise Http404 from None
    target = found.link
    if request.POST.get("go") and target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("reminders:list")


@login_required
@require_POST
def read_all(request):
    services.mark_all_read(actor=request.user)
    return redirect("reminders:list")


# --- the calendar feed ----------------------------------------------------------------------------------


def _party_user(request) -> None:
    if scope_for(request.user).system_role:  # 三员分立: the system roles have no party calendar
        raise PermissionDenied


@login_required
@require_GET
def calendar(request):
    """The user's calendar URL: whether one is active, the new one once (right after it is made), and the
    buttons to make a new one or revoke it."""
    _party_user(request)
    active = CalendarFeed.objects.filter(user_id=request.user.pk, revoked_at__isnull=True).first()
    new_url = request.session.pop(NEW_FEED, "")
    return render(
        request,
        "reminders/calendar.html",
        {
            "nav": "notifications",
            "active": active,
            "new_url": new_url,
            "webcal_url": webcal(new_url),
            # what the feed carries (reminders.calendar.events_for) depends on who reads it
            "is_admin": scope_for(request.user).is_admin,
            "has_member": bool(request.user.member_id),
        },
    )


def webcal(url: str) -> str:
    """The feed's address as a webcal:// link, which opens the device's calendar app to subscribe."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme) :]
    return ""


@login_required
@require_POST
def calendar_new(request):
    _party_user(request)
    token = services.create_feed(actor=request.user)
    request.session[NEW_FEED] = request.build_absolute_uri(feed_path(token))
    return redirect("reminders:calendar")


@login_required
@require_POST
def calendar_revoke(request):
    _party_user(request)
    services.revoke_feed(actor=request.user)
    return redirect("reminders:calendar")


def feed_path(token: str) -> str:
    """The feed's URL path with its secret in the query string, which no access log records (gunicorn's and
    nginx's formats log the path alone, and so does Django's warning for a 404)."""
    return f"{reverse('reminders:feed')}?{urlencode({'token': token})}"


@require_GET
def feed(request):
    """The calendar (text/calendar) of the user whose secret URL this is; a wrong or revoked token: 404."""
    user = services.feed_user(request.GET.get("token", ""))
    if user is None:
        raise Http404
    events = events_for(user, on=timezone.localdate(), absolute=request.build_absolute_uri)
    body = ical.calendar(_("党建工作日历"), events, stamp=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


# --- channels ---------------------------------------------------------------------------------------------


def _told_nothing(request, refused=()):
    """The preferences page of a user who is told nothing: where their own dates are, and no channel."""
    return render(
        request,
        "reminders/preferences.html",
        {
            "nav": "notifications",
            "receives": False,
            "refused": list(refused),
            "has_member": bool(request.user.member_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The user's channels (in-app, e-mail digest, SMS) and how often the digests go out. A user who is told
    nothing (no administrator role: `services.receives_reminders`) is offered no channel: the page says where
    their own dates are instead (a form sent before their role ended is still saved, or refused on the page)."""
    _party_user(request)
    receives = services.receives_reminders(scope_for(request.user))
    if not receives and request.method == "GET":
        return _told_nothing(request)
    found = Preference.objects.filter(user_id=request.user.pk).first() or Preference(user=request.user)
    initial = {
        "in_app": found.in_app,
        "email": found.email,
        "sms": found.sms,
        "frequency": found.frequency,
        "address": request.user.email,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_preferences(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存提醒设置。"))
            return redirect("reminders:preferences")
    if not receives:
        return _told_nothing(request, refused=[e for errors in form.errors.values() for e in errors])
    member = request.user.member if request.user.member_id else None
    phone = mask_phone(member.phone) if member is not None and member.phone else ""
    return render(
        request,
        "reminders/preferences.html",
        {"nav": "notifications", "form": form, "phone": phone, "receives": True},
    )
