"""Large exports made by the task worker (core.exports): the export page sends the user to the job's page, which
shows the progress and then the download; only that user sees either; the file is encrypted at rest, expires,
and the export's audit event is recorded once when it is made."""

from __future__ import annotations

import gc
import io
import uuid
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.core import exports
from dangjian.core.downloads import Counted
from dangjian.core.models import AuditEvent, ExportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def roll(tree, users, make_member):
    """甲一 with five members besides 李党员."""
    return [make_member(tree.a1, name=f"名册{i}") for i in range(5)]


@pytest.fixture
def background(settings, tmp_path):
    settings.EXPORT_BACKGROUND_ROWS = 2
    settings.VAR_DIR = tmp_path
    return tmp_path


def names_in(content: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    values = {str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row if v is not None}
    book.close()
    return values


def ask(client, user, django_capture_on_commit_callbacks, *, run: bool = True) -> ExportJob:
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=run):
        response = client.get(reverse("members:export"))
    assert response.status_code == 302
    job = ExportJob.objects.get(user=user)
    assert response["Location"] == reverse("portal:export_job", kwargs={"pk": job.pk})
    return job


def test_a_large_roll_is_made_by_the_worker_and_downloaded_by_its_user(
    client, users, roll, background, django_capture_on_commit_callbacks
):
    job = ask(client, users["branch_a1"], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == job.rows_expected == 6
    page = client.get(reverse("portal:export_job", kwargs={"pk": job.pk}))
    assert page.status_code == 200 and 'data-testid="export-download"' in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()  # finished: the page stops refreshing
    download = client.get(reverse("portal:export_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    assert "attachment" in download["Content-Disposition"]
    assert {m.name for m in roll} | {"李党员"} <= names_in(download.content)
    stored = (background / "exports" / f"{job.pk.hex}.bin").read_bytes()
    assert not stored.startswith(b"PK") and stored.startswith(b"gAAAA")  # a Fernet token, not the workbook
    events = AuditEvent.objects.filter(action="export", actor=users["branch_a1"])
    assert events.count() == 1 and "6 行" in events.get().note
    # the same rows as the export made at once
    with override_settings(EXPORT_BACKGROUND_ROWS=1000):
        at_once = client.get(reverse("members:export"))
    assert at_once.status_code == 200 and names_in(at_once.content) == names_in(download.content)


def test_the_page_shows_the_progress_until_the_worker_has_made_it(
    client, users, roll, background, django_capture_on_commit_callbacks
):
    job = ask(client, users["branch_a1"], django_capture_on_commit_callbacks, run=False)
    page = client.get(reverse("portal:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-status="queued"' in page and 'http-equiv="refresh"' in page and "排队" in page
    assert client.get(reverse("portal:export_download", kwargs={"pk": job.pk})).status_code == 404
    assert exports.run_export.func(str(job.pk)) == "done"
    assert exports.run_export.func(str(job.pk)) == "skipped"  # a job is made once
    page = client.get(reverse("portal:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-status="done"' in page


def test_nobody_else_sees_the_job_or_its_file(
    client, users, roll, background, django_capture_on_commit_callbacks
):
    job = ask(client, users["branch_a1"], django_capture_on_commit_callbacks)
    for name in ("portal:export_job", "portal:export_download"):
        url = reverse(name, kwargs={"pk": job.pk})
        for other in ("branch_a2", "dangwei_a", "gongwei"):
            client.force_login(users[other])
            assert client.get(url).status_code == 404
        client.force_login(users["member_a1"])
        assert client.get(url).status_code == 403
        client.logout()
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_an_export_is_made_in_the_language_of_the_page_that_asked(
    client, users, roll, background, django_capture_on_commit_callbacks
):
    client.cookies["django_language"] = "en"
    job = ask(client, users["branch_a1"], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.language == "en"
    assert "rows" in AuditEvent.objects.get(action="export").note  # the audit note as the page would word it


def test_a_user_no_longer_active_gets_no_file(
    client, users, roll, background, django_capture_on_commit_callbacks
):
    user = users["branch_a1"]
    job = ask(client, user, django_capture_on_commit_callbacks, run=False)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert exports.run_export.func(str(job.pk)) == "refused"
    job.refresh_from_db()
    assert job.status == "failed" and "无权" in job.error
    assert not (background / "exports" / f"{job.pk.hex}.bin").exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_failing_export_says_so_and_keeps_nothing(users, background, monkeypatch):
    def broken(user, query, progress):
        raise RuntimeError("disk full")

    monkeypatch.setitem(
        exports.EXPORTS, "broken", exports.ExportKind("broken", broken, lambda u, q: 10, "坏")
    )
    job = ExportJob.objects.create(id=uuid.uuid4(), user=users["branch_a1"], kind="broken")
    assert exports.run_export.func(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "出错" in job.error and job.finished_at is not None
    assert gc.isenabled()  # the collector, paused for the build, runs again


def test_the_worker_builds_an_export_with_the_collector_paused(users, background, monkeypatch):
    """A large scope's rows are many short-lived objects: the worker builds them with the collector paused (as the
    evaluation), which resumes after it, also when the build fails."""
    seen = []

    def build(user, query, progress):
        seen.append(gc.isenabled())
        return exports.Made(b"content", "x.xlsx", "检查结果", "compliance", "", "", 1)

    monkeypatch.setitem(exports.EXPORTS, "spied", exports.ExportKind("spied", build, lambda u, q: 10, "测"))
    job = ExportJob.objects.create(id=uuid.uuid4(), user=users["branch_a1"], kind="spied")
    assert exports.run_export.func(str(job.pk)) == "done"
    assert seen == [False] and gc.isenabled()


def test_files_are_deleted_when_they_expire(
    client, users, roll, background, django_capture_on_commit_callbacks
):
    job = ask(client, users["branch_a1"], django_capture_on_commit_callbacks)
    path = background / "exports" / f"{job.pk.hex}.bin"
    assert path.exists()
    assert exports.expire(timezone.now() + timedelta(minutes=59)) == 0 and path.exists()
    assert exports.expire(timezone.now() + timedelta(minutes=61)) == 1 and not path.exists()
    page = client.get(reverse("portal:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="export-expired"' in page
    assert client.get(reverse("portal:export_download", kwargs={"pk": job.pk})).status_code == 404
    exports.expire(timezone.now() + timedelta(days=8))
    assert not ExportJob.objects.filter(pk=job.pk).exists()


def test_a_small_export_is_still_made_at_once(client, users, roll, background):
    client.force_login(users["branch_a1"])
    with override_settings(EXPORT_BACKGROUND_ROWS=6):
        response = client.get(reverse("members:export"))
    assert response.status_code == 200 and not ExportJob.objects.exists()


def test_the_compliance_table_of_a_large_scope_is_made_in_the_background(
    client, users, background, django_capture_on_commit_callbacks
):
    client.force_login(users["dangwei_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("compliance:export"))
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("portal:export_job", kwargs={"pk": job.pk})
    job.refresh_from_db()
    assert job.status == "done" and job.filename.startswith("合规检查-")
    content = client.get(reverse("portal:export_download", kwargs={"pk": job.pk})).content
    assert "规则编号" in names_in(content)


def test_progress_is_reported_every_so_many_rows():
    seen = []
    rows = Counted(range(5000), seen.append, every=2000)
    assert sum(1 for _ in rows) == 5000 and seen == [2000, 4000] and rows.n == 5000


def test_the_query_survives_the_queue():
    query = exports._query({"org": ["12"], "status": ["active", "x"]})
    assert (
        isinstance(query, QueryDict) and query.getlist("status") == ["active", "x"] and query["org"] == "12"
    )
