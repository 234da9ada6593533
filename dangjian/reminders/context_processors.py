from django.utils.functional import SimpleLazyObject


def unread(request):
    """The header's unread count: one query, only when a page shows the bell (a signed-in user's page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from dangjian.reminders.models import Notification

    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
        )
    }
