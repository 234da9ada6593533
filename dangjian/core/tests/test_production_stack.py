"""The production stack (deploy/, docs/deployment.md): the documented environment passes `check --deploy`,
every setting is documented in it, whitenoise serves the collected static files through the WSGI
application, gunicorn serves the application for real, and PostgreSQL connections come from a pool with the
documented session settings available to the benchmarks."""

from __future__ import annotations

import gzip
import http.client
import importlib.util
import io
import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from dangjian.core.tests.repo_files import load

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
ENV_FILE = DEPLOY / "dangjian.env.example"
SETTINGS_FILE = ROOT / "dangjian" / "settings.py"
BIN = Path(sys.executable).parent
MANIFEST_STORAGE = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def documented_environment(var_dir: Path) -> dict[str, str]:
    """The process environment of a production dangjian: deploy/dangjian.env.example's settings, its two keys
    filled in as the file asks, and a data directory of the test's own; nothing inherited that changes them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not re.fullmatch(r"[A-Z_]+", k) or k in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR"}
    }
    for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["PII_KEY"] = secrets.token_urlsafe(32)
    env["DANGJIAN_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = "dangjian.settings"
    return env


def dangjian(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dangjian.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_documented_production_environment_passes_check_deploy(tmp_path):
    env = documented_environment(tmp_path)
    assert env["DEBUG"] == "0" and env["BEHIND_TLS_PROXY"] == "1" and "LOCAL_HTTP" not in env
    result = dangjian("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # the keys the file asks to fill in: left as they are, the check refuses them
    env["SECRET_KEY"] = "请替换为随机字符串"
    assert dangjian("check", "--deploy", "--fail-level", "WARNING", env=env).returncode != 0


def test_every_setting_read_from_the_environment_is_in_the_environment_file():
    read = set()
    for source in (SETTINGS_FILE, DEPLOY / "gunicorn.conf.py"):
        text = source.read_text(encoding="utf-8")
        read |= set(re.findall(r'(?:environ\.get|environ\[|_env_bool|_env_int)\(?"([A-Z][A-Z0-9_]+)"', text))
    assert {"DATABASE_URL", "SECRET_KEY", "DB_POOL_SIZE", "WEB_CONCURRENCY"} <= read
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", ENV_FILE.read_text(encoding="utf-8"), re.M))
    assert read - documented == set()


def _wsgi_get(app, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **{"HTTP_" + k.upper(): v for k, v in headers.items()},
    }
    started: dict = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = status, dict(response_headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return started["status"], started["headers"], body


@pytest.mark.django_db
def test_the_wsgi_application_serves_the_collected_static_files_through_whitenoise(tmp_path):
    from django.core.wsgi import get_wsgi_application

    with override_settings(
        DEBUG=False, STATIC_ROOT=tmp_path, STORAGES=MANIFEST_STORAGE, WHITENOISE_USE_FINDERS=False
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        app = get_wsgi_application()  # middleware built now: whitenoise reads STATIC_ROOT as collected
        status, _, page = _wsgi_get(app, "/accounts/login/")
        assert status.startswith("200")
        hashed = re.search(r'src="/static/(js/dangjian\.[0-9a-f]{12}\.js)"', page.decode())
        assert hashed, "the page names the content-hashed copy"
        status, headers, body = _wsgi_get(app, "/static/" + hashed.group(1), accept_encoding="gzip")
    assert status.startswith("200")
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    assert gzip.decompress(body) == (ROOT / "static" / "js" / "dangjian.js").read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_gunicorn_serves_the_application_and_its_static_files(tmp_path):
    if importlib.util.find_spec("gunicorn") is None:  # a dependency: in CI a skip fails the run
        pytest.skip("gunicorn is not installed")
    env = documented_environment(tmp_path)
    env.pop("DATABASE_URL")  # a SQLite database in the test's data directory
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = dangjian(*step, env=env)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_THREADS="2")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [BIN / "gunicorn", "-c", DEPLOY / "gunicorn.conf.py"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start listening"
                time.sleep(0.3)
        # as nginx forwards it (deploy/nginx.conf.example): the site's name, HTTPS, the client address
        proxied = {
            "Host": env["ALLOWED_HOSTS"],
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.7",
        }
        status, headers, body = _get(base + "/accounts/login/", **proxied)
        assert status == 200, body[:500]
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "Secure" in headers["Set-Cookie"]
        asset = re.search(r'href="(/static/css/dangjian\.[0-9a-f]{12}\.css)"', body.decode())
        assert asset, "the page names the content-hashed stylesheet"
        status, headers, css = _get(base + asset.group(1), **proxied)
        assert status == 200 and "immutable" in headers["Cache-Control"]
        assert css == (ROOT / "static" / "css" / "dangjian.css").read_bytes()
        # one request per connection (keepalive 0): a client asking to keep it open is told it closes
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", asset.group(1), headers=proxied)
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("Connection") == "close"
        conn.close()
        # plain HTTP, not through the proxy: sent to HTTPS
        status, headers, _ = _get(base + "/accounts/login/", Host=env["ALLOWED_HOSTS"])
        assert status == 301 and headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    text = (tmp_path / "gunicorn.log").read_text()
    assert '"GET /accounts/login/" 200' in text, text  # the access log: method and path, no query string
    # the worker froze its start's objects and, leaving, logged its collections (dangjian.core.gcpolicy)
    assert re.search(r"Worker froze \d{5,} objects of its start", text), text
    assert "Worker garbage collector: " in text and "generation 2: " in text, text


def _settings(monkeypatch, tmp_path, **env) -> dict:
    for name in ("DATABASE_URL", "DB_POOL_SIZE", "DB_POOL_MIN_SIZE", "DB_POOL_TIMEOUT", "CONN_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DANGJIAN_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_postgresql_connections_are_pooled_with_the_sizes_from_the_environment(monkeypatch, tmp_path):
    url = "postgres://dangjian@127.0.0.1:5432/dangjian"
    db = _settings(monkeypatch, tmp_path, DATABASE_URL=url, CONN_MAX_AGE="60")["DATABASES"]["default"]
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 2, "timeout": 10.0}
    assert db["CONN_MAX_AGE"] == 0  # the pool refuses persistent connections
    db = _settings(monkeypatch, tmp_path, DATABASE_URL=url, DB_POOL_SIZE="6", DB_POOL_MIN_SIZE="3")
    pool = db["DATABASES"]["default"]["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"]) == (3, 6)
    db = _settings(monkeypatch, tmp_path, DATABASE_URL=url, DB_POOL_SIZE="0", CONN_MAX_AGE="60")
    assert "pool" not in db["DATABASES"]["default"].get("OPTIONS", {})
    assert db["DATABASES"]["default"]["CONN_MAX_AGE"] == 60
    sqlite = _settings(monkeypatch, tmp_path)["DATABASES"]["default"]
    assert "pool" not in sqlite.get("OPTIONS", {})


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_closed_postgresql_connection_goes_back_to_the_pool():
    from django.db import connection

    connection.ensure_connection()
    assert connection.pool is not None
    pids = []
    for _ in range(6):  # six requests, each ending with the connection's close: back to the pool
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
        connection.close()
    assert len(set(pids)) < len(pids), pids  # the same backends again, not a new connection each time


def _pgsettings():
    return load("benchmarks/pgsettings.py", "pgsettings")


def test_the_deployment_guide_gives_the_postgresql_settings_the_benchmarks_use():
    documented = _pgsettings().documented()
    assert {"work_mem", "shared_buffers", "effective_cache_size", "random_page_cost", "autovacuum"} <= set(
        documented
    )
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for name, (value, _) in documented.items():
        assert f"`{name} = {value}`" in guide, name


@pytest.mark.postgresql
def test_the_benchmarks_connections_run_with_the_documented_session_settings():
    import psycopg

    pgsettings = _pgsettings()
    environ = {"PGOPTIONS": ""}
    pgsettings.apply(environ)
    db = settings.DATABASES["default"]
    conninfo = psycopg.conninfo.make_conninfo(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        options=environ["PGOPTIONS"],
    )
    with psycopg.connect(conninfo) as conn:
        for name, (value, per_session) in pgsettings.documented().items():
            if per_session:
                assert conn.execute(f"SHOW {name}").fetchone()[0].lower() == value.lower(), name


def test_web_processes_load_compliance_facts_in_their_request_thread_only(monkeypatch, tmp_path):
    """settings.FACT_THREADS: 2 by default (the task worker, commands), from the environment, and 1 in gunicorn's
    processes, whose connection pools are sized to their request threads, whatever the environment says."""
    monkeypatch.delenv("FACT_THREADS", raising=False)
    assert _settings(monkeypatch, tmp_path)["FACT_THREADS"] == 2
    assert _settings(monkeypatch, tmp_path, FACT_THREADS="3")["FACT_THREADS"] == 3
    monkeypatch.setenv(
        "FACT_THREADS", "3"
    )  # the environment file's, meant for the task worker and the commands
    load("deploy/gunicorn.conf.py", "gunicorn_conf")
    assert os.environ["FACT_THREADS"] == "1"
    assert _settings(monkeypatch, tmp_path)["FACT_THREADS"] == 1


def test_a_worker_past_its_memory_limit_gives_memory_back_and_is_replaced_only_when_still_above(monkeypatch):
    """deploy/gunicorn.conf.py's post_request: past GUNICORN_MAX_WORKER_MB the worker first gives its freed memory
    back (dangjian.core.memory.release_memory) and goes on when that brings it under the limit; still above, it
    finishes and is replaced. Below the limit nothing is released (a full collection costs a request time)."""
    import logging
    import types

    conf = load("deploy/gunicorn.conf.py", "gunicorn_conf")
    assert 30 < conf.resident_mb() < 4096  # this test process, read from /proc

    def worker():
        return types.SimpleNamespace(alive=True, log=logging.getLogger("test"))

    released: list[float] = []

    def release(after: float):
        def run() -> float:
            released.append(after)
            return after

        return run

    monkeypatch.setattr(conf, "max_worker_mb", 250)
    small, freed, large = worker(), worker(), worker()
    monkeypatch.setattr(conf, "resident_mb", lambda: 120.0)
    monkeypatch.setattr(conf, "release_memory", release(100.0))
    conf.post_request(small, None, {}, None)
    assert small.alive and released == []
    monkeypatch.setattr(conf, "resident_mb", lambda: 260.0)
    monkeypatch.setattr(conf, "release_memory", release(150.0))
    conf.post_request(freed, None, {}, None)
    assert freed.alive and released == [150.0]
    monkeypatch.setattr(conf, "release_memory", release(255.0))
    conf.post_request(large, None, {}, None)
    assert not large.alive and released == [150.0, 255.0]
    monkeypatch.setattr(conf, "max_worker_mb", 0)  # 0: never by memory
    unlimited = worker()
    conf.post_request(unlimited, None, {}, None)
    assert unlimited.alive and len(released) == 2


def test_the_task_worker_runs_below_the_pages_priority_and_never_raises_it():
    """`dangjian worker` lowers its CPU priority to TASK_WORKER_NICE, and leaves a lower one (systemd's Nice=)."""
    code = "from dangjian.core.management.commands.worker import lower_priority; print(lower_priority(5))"

    def niceness_after(start: int) -> int:
        done = subprocess.run(
            ["nice", "-n", str(start), sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return int(done.stdout)

    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness_after(0) == max(base, 5)
    assert niceness_after(10) == base + 10


@override_settings(TASK_BACKEND="database", TASK_WORKER_NICE=7)
def test_the_worker_command_lowers_its_priority_before_it_runs_tasks(monkeypatch):
    from dangjian.core.management.commands import worker

    calls = []
    monkeypatch.setattr(worker, "lower_priority", lambda nice: calls.append(("nice", nice)))
    monkeypatch.setattr(worker, "call_command", lambda *args: calls.append(args))
    call_command("worker", "--batch")
    assert calls == [("nice", 7), ("db_worker", "--no-startup-delay", "--batch")]


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_past_its_memory_limit_takes_no_further_task(settings, monkeypatch):
    """After a task that leaves it above TASK_WORKER_MAX_MB, the worker gives freed memory back; still above, it
    leaves at once (its service starts a fresh one) and the next task waits for it. Back below the limit, below it
    from the start, and with 0, it runs them all and stays."""
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    from dangjian.core.management.commands import worker
    from dangjian.reminders.tasks import send_daily

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(db_worker, "Worker", db_worker.Worker)  # the command replaces it: put it back after
    left: list[str] = []
    monkeypatch.setattr(worker, "leave", lambda: left.append("left"))  # the real one ends the process
    monkeypatch.setattr(worker, "lower_priority", lambda nice: nice)

    def run(
        max_mb: int, used_mb: float, released_mb: float, *, argv: bool = False
    ) -> tuple[list[str], bool, list]:
        DBTaskResult.objects.all().delete()
        left.clear()
        send_daily.enqueue()
        send_daily.enqueue()
        monkeypatch.setattr(worker, "resident_mb", lambda: used_mb)
        monkeypatch.setattr(worker, "release_memory", lambda: released_mb)
        settings.TASK_BACKEND, settings.TASK_WORKER_MAX_MB = "database", max_mb
        if argv:  # as `dangjian worker --batch` runs it
            worker.Command(stdout=io.StringIO(), stderr=io.StringIO()).run_from_argv(
                ["dangjian", "worker", "--batch"]
            )
        else:
            call_command("worker", "--batch", stdout=io.StringIO(), stderr=io.StringIO())
        statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
        return statuses, bool(worker.LEAVING), list(left)

    # called in-process (as here) the command returns; from the command line the process leaves at once
    assert run(300, 420.0, 410.0) == (["READY", "SUCCESSFUL"], True, [])
    assert run(300, 420.0, 410.0, argv=True) == (["READY", "SUCCESSFUL"], True, ["left"])
    assert run(300, 420.0, 150.0, argv=True) == (
        ["SUCCESSFUL", "SUCCESSFUL"],
        False,
        [],
    )  # given back: it stays
    assert run(300, 120.0, 120.0, argv=True) == (["SUCCESSFUL", "SUCCESSFUL"], False, [])
    assert run(0, 420.0, 410.0, argv=True) == (["SUCCESSFUL", "SUCCESSFUL"], False, [])


def test_a_worker_leaving_skips_the_interpreter_s_teardown_and_keeps_its_last_log_line():
    """`leave` ends the process with status 0 at once (no exit handler runs: the teardown of a large heap is what
    it skips), with what was logged before written out."""
    code = (
        "import atexit, logging, django\n"
        "django.setup()\n"
        "from dangjian.core.management.commands.worker import leave\n"
        "atexit.register(print, 'teardown ran', flush=True)\n"
        "logging.getLogger('dangjian.worker').warning('last words before leaving')\n"
        "leave()\n"
        "print('still running', flush=True)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "last words before leaving" in done.stdout + done.stderr
    assert "teardown ran" not in done.stdout and "still running" not in done.stdout


def test_giving_memory_back_reads_the_resident_memory_after_it():
    from dangjian.core.memory import release_memory

    assert 30 < release_memory() < 4096


def test_the_worker_reads_its_own_resident_memory():
    from dangjian.core.memory import resident_mb

    assert 30 < resident_mb() < 4096
