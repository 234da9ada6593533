"""The notification centre: the signed-in user's own notifications, newest first, and marking them read.
Every page reads the user's own rows only; another user's notification is not found."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.core.errors import OutOfScope
from dangjian.reminders import services
from dangjian.reminders.models import Notification


@login_required
@require_GET
def notification_list(request):
    mine = Notification.objects.filter(recipient_id=request.user.pk).select_related("org")
    page = Paginator(mine, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reminders/list.html", {"nav": "notifications", "page": page})


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
