from __future__ import annotations

import logging
import re

from django.core.exceptions import BadRequest, ObjectDoesNotExist
from django.shortcuts import render

from dangjian.core.context import new_request_id, reset_request_id, set_request_id

log = logging.getLogger(__name__)

_VALID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane X-Request-ID) for logs and audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else new_request_id()
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class LanguageMiddleware:
    """Simplified Chinese unless the user picked another language (the footer's switch sets a cookie).

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is ignored: a 党务干部 on an
    English-language browser still gets the Chinese interface by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NulQueryMiddleware:
    """Answers 400 (the page 400.html) to a NUL character in a query parameter's name or value. No 单位, name or
    id holds one, PostgreSQL refuses it in a string, and a view that hands a query value to the database would
    otherwise fail with a server error there. Form fields refuse NUL themselves (Django's CharField), so only the
    query string is looked at here: the body is left for the view (reading it here would spend an upload)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:  # looked at closer only then
            for key, values in request.GET.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest("NUL character in the query string")
        return self.get_response(request)


class GoneRecordMiddleware:
    """Answers 409 (the page 409.html: the record is gone, nothing was saved) when a form's submission fails because
    the record it writes was deleted after the page was opened: the view found it, the service's locked read no
    longer does (`Model.DoesNotExist` inside the transaction, which is rolled back). Only for POST: a page that
    cannot find its record is a 404 by `get_object_or_404`. Logged with its traceback, as a warning: a read that
    should have found its row is told apart there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.method != "POST" or not isinstance(exception, ObjectDoesNotExist):
            return None
        log.warning("a form sent to %s found its record gone", request.path, exc_info=exception)
        return render(request, "409.html", status=409)
