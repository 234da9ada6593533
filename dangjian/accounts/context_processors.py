from dangjian.accounts.scope import scope_for


def access(request):
    """Exposes the user's scope to templates (navigation shows only what the user may use). A session waiting
    for its second step (accounts.otp) gets none: its pages show no menu of what the user could reach."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from dangjian.accounts import otp

    if request.session.get(otp.SESSION_KEY) == otp.PENDING:
        return {}
    return {"scope": scope_for(user)}
