"""The 500 page: rendered from its template alone, without the database, the session, the user or any context
processor (any of them may be what failed), with the request's id so that a user can quote it to the
administrator who reads the logs."""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.template import loader

from dangjian.core.context import get_request_id


def server_error(request, template_name: str = "500.html"):
    try:
        template = loader.get_template(template_name)
        body = template.render({"request_id": get_request_id()})
    except Exception:  # the page itself must not fail: a plain sentence, in both languages
        body = "<h1>服务器出现错误 / Server error</h1>"
    return HttpResponseServerError(body)
