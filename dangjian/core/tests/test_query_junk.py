"""Every page answers a malformed query parameter or form field without a server error.

A page's parameters come from links, but also from bookmarks, hand-edited addresses and scanners: an id that is no
number, a number beyond any column, a year of 0, a NUL character (which PostgreSQL refuses in a string), a digit that
is no number to int(). For every named URL of the permission matrix that a persona opens (GET 200 in its row: the
党委's administrator, else the branch's, else the member), each query parameter the view reads is sent with each of
these values in turn, the row's other parameters kept: the answer must be a page, a redirect or a refusal (4xx) —
never a 500. The parameters are found in the view's source (`request.GET.get("year")`, `data["org"]`), with those
that helpers read from the query the view hands them (`ALWAYS`), so that a page that starts reading a new parameter
is covered without a change here.

Likewise every write the matrix accepts (POST "+" in its row) is sent its row's body with each field — and each
field the view reads itself (`request.POST.get("member")`) — replaced by each value in turn, and left out: a form
error, a refusal or a write, never a 500 (a 身份证号 pasted into 得票 was an integer beyond its column on PostgreSQL).
"""

from __future__ import annotations

import inspect
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.urls.converters import IntConverter

from dangjian.core.tests.permission_matrix import named_urls
from dangjian.core.tests.test_permission_matrix import PERSONAS as MATRIX_PERSONAS
from dangjian.core.tests.test_permission_matrix import TABLE, client_for, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

JUNK = (
    "x",  # no number, no date
    "\x00",  # PostgreSQL refuses NUL in a string literal
    "99999999999999999999",  # beyond a bigint
    "0",  # year 0 is no date; no id is 0
    "²",  # a digit to str.isdigit, no number to int
)

# read by helpers from the query a view hands them: the organisation (orgs.selectors.wide_scope keeps it in its
# links, meetings.plans) and the page of a paginated panel (members.org_panels)
ALWAYS = ("org", "page")

# request.GET.get("name"), request.GET["name"], GET.getlist("name"), data.get("name") (data: request.GET or POST)
_READ = re.compile(r"""(?:GET|query|data|params)(?:\.get|\.getlist)?[\(\[]\s*["']([a-z_]+)["']""")


def read_parameters(view) -> list[str]:
    """The query parameters `view` reads, by its source (its decorators unwrapped)."""
    return sorted(set(ALWAYS) | set(_READ.findall(inspect.getsource(inspect.unwrap(view)))))


def server_errors(client: Client, names, send, values=JUNK) -> dict[str, int]:
    """`name=value` → status of each answer of 500 or more to `send(client, name, value)`, for every name and value
    (the client answering a view's exception with the 500 page instead of raising it)."""
    client.raise_request_exception = False
    failed = {}
    try:
        for name in names:
            for value in values:
                response = send(client, name, value)
                if response.status_code >= 500:
                    failed[f"{name}={value!r}"] = response.status_code
    finally:
        client.raise_request_exception = True
    return failed


PERSONAS = ("dw", "a1", "member")  # the first that opens the page


def _cases():
    urls = named_urls()
    for name, row in sorted(TABLE.items()):
        expected = row.expected("get")
        persona = next((p for p in PERSONAS if expected[p] == "200"), None)
        if persona is not None and name in urls:
            yield pytest.param(name, persona, id=name)


def test_the_parameters_of_a_view_are_read_from_its_source():
    from dangjian.dues.views import arrears_list
    from dangjian.members.views import post_export

    assert read_parameters(post_export) == ["org", "page"]
    assert {"as_of", "org", "page"} <= set(read_parameters(arrears_list))


@pytest.mark.parametrize(("name", "persona"), list(_cases()))
def test_a_malformed_parameter_is_no_server_error(world, client_for, name, persona):  # noqa: F811
    row = TABLE[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    base = row.query(world) if row.query else {}
    failed = server_errors(
        client_for(persona),
        read_parameters(named_urls()[name].callback),
        lambda client, parameter, value: client.get(
            url, {**base, parameter: value}, headers=row.headers or {}
        ),
    )
    assert failed == {}, f"GET {name} as {persona}"


def _numbers_in_path(name) -> list[str]:
    """The URL's `<int:…>` parameters."""
    converters = named_urls()[name].pattern.converters
    return [key for key, converter in converters.items() if isinstance(converter, IntConverter)]


def _with_numbers_in_path():
    for param in _cases():
        if _numbers_in_path(param.values[0]):
            yield param


@pytest.mark.parametrize(("name", "persona"), list(_with_numbers_in_path()))
def test_a_number_beyond_any_record_in_the_path_is_no_server_error(world, client_for, name, persona):  # noqa: F811
    """`<int:pk>` takes any run of digits: one beyond a bigint (or an integer column) names no record (404)."""
    row = TABLE[name]
    kwargs = row.kwargs(world)
    numbers = _numbers_in_path(name)
    client = client_for(persona)
    client.raise_request_exception = False
    try:
        answers = {
            f"{key}={big}": client.get(
                reverse(name, kwargs={**kwargs, key: big}), headers=row.headers or {}
            ).status_code
            for key in numbers
            for big in (2**31, 2**63, 10**20)
        }
    finally:
        client.raise_request_exception = True
    assert answers and all(status < 500 for status in answers.values()), answers
    assert all(status == 404 for key, status in answers.items() if key.startswith("pk=")), answers


# request.POST.get("name"), request.POST.getlist("name"), data.get("name") (data: request.POST or GET)
_POSTED = re.compile(r"""(?:POST|data)(?:\.get|\.getlist)?[\(\[]\s*["']([a-z_]+)["']""")


def _writes():
    urls = named_urls()
    for name, row in sorted(TABLE.items()):
        if row.post is None or name not in urls:
            continue
        expected = row.expected("post")
        persona = next((p for p in MATRIX_PERSONAS if expected[p].endswith("+")), None)
        if persona is not None:
            yield pytest.param(name, persona, id=name)


@pytest.mark.parametrize(("name", "persona"), list(_writes()))
def test_a_malformed_field_is_no_server_error(world, client_for, name, persona):  # noqa: F811
    row = TABLE[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    body = row.data(world) if row.data else {}
    source = inspect.getsource(inspect.unwrap(named_urls()[name].callback))
    fields = {key for key, value in body.items() if not hasattr(value, "read")} | set(_POSTED.findall(source))

    def send(client, field, value):
        data = row.data(world) if row.data else {}  # afresh: an uploaded file is read by each request
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value
        return client.post(url, data, headers=row.headers or {})

    failed = server_errors(client_for(persona), sorted(fields), send, values=(*JUNK, None))  # None: left out
    assert failed == {}, f"POST {name} as {persona}"
