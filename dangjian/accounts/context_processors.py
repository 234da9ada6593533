from dangjian.accounts.scope import scope_for


def access(request):
    """Exposes the user's scope to templates (navigation shows only what the user may use)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"scope": scope_for(user)}
