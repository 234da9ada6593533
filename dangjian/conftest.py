"""Shared fixtures: a small org tree, members, and one user per role.

The tree (codes in brackets):
    工委 [GW]
    ├── 党组 甲委党组 [A-DZ]
    ├── 党委 甲委机关党委 [A]
    │   ├── 党支部 甲一支部 [A1]
    │   │   └── 党小组 甲一第一党小组 [A1G1]
    │   └── 党支部 甲二支部 [A2]
    └── 党委 乙委机关党委 [B]
        └── 党总支 乙总支 [B-ZZ]
            └── 党支部 乙一支部 [B1]
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from dangjian.core import idcard

# The whole test process keeps the site's time zone (settings.TIME_ZONE) from the start: Django sets TZ when its
# settings load, after the test modules' own `dt.date.today()` at import had read the machine's zone, so between 16:00
# and 24:00 UTC a module's "today" and the pages' were a day apart.
os.environ["TZ"] = django_settings.TIME_ZONE
time.tzset()

_seq = itertools.count(1)

TEST_PASSWORD = "Test-pass-2026"  # every test user's password (make_user), typed by the browser login


def make_id_number(birth: dt.date = dt.date(1985, 6, 15), male: bool = True) -> str:
    return idcard.make("310101", birth, next(_seq) % 999, male)


def unique_id_number(male: bool = True) -> str:
    n = next(_seq)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 10500)  # born by 1978: of age by 1997
    return idcard.make("310104", birth, n % 999, male)


def migrate_back(app: str, migration: str):
    """For migration tests: `app` back to `migration`, every other app at its leaf (their tables keep their later
    columns); returns the historical models' registry of that state."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [node for node in executor.loader.graph.leaf_nodes() if node[0] != app]
    before.append((app, migration))
    executor.migrate(before)
    return executor.loader.project_state(before).apps


def migrate_forward() -> None:
    """For migration tests: every app to its leaf again."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def historical_branch_with_members(apps, names):
    """For migration tests: a 工委 and a 党支部 (codes M0, M1) with a 正式党员 of each name, written through the
    historical models `apps` gives (the services are today's: they may need later columns)."""
    Org, Member = apps.get_model("orgs", "Org"), apps.get_model("members", "Member")
    root = Org.objects.create(code="M0", name="迁移工委", type="gongwei", path="00000098/", depth=1)
    org = Org.objects.create(
        code="M1", name="迁移支部", type="zhibu", parent=root, path="00000098/00000099/", depth=2
    )
    people = [
        Member.objects.create(
            name=name,
            id_number=f"x{n}",
            id_number_hash=f"h{n}",
            sex="M",
            birth_date=dt.date(1980, 1, 1),
            category="formal",
            joined_on=dt.date(2010, 1, 1),
            confirmed_on=dt.date(2011, 1, 1),
            org=org,
        )
        for n, name in enumerate(names)
    ]
    return org, people


def _pool_for_the_live_server() -> None:
    """On PostgreSQL the connections come from a pool of DB_POOL_SIZE per process (settings.py), sized for
    gunicorn's fixed threads. The live server of the browser tests runs a thread per request, as many at once as
    the browser sends, while the test holds its own connection: the tests' pool may grow to 8. Set before the
    first connection creates the pool."""
    from django.conf import settings

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict):
        pool["max_size"] = max(pool["max_size"], 8)
    # A command run inside a test's transaction closes the connections at its end (BaseCommand.run_from_argv):
    # the pool then takes the connection back mid-transaction, rolls it back (as closing it would) and says
    # so on stderr, where the command tests read the command's own output. In production a command's
    # connections close outside any transaction, and the warning stays (it would mean a bug there).
    logging.getLogger("psycopg.pool").addFilter(
        lambda record: not str(record.msg).startswith("rolling back returned connection")
    )


_pool_for_the_live_server()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request through the language middleware leaves the language
    it chose active in the thread, and check messages (core.messages) render in the active language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def today() -> dt.date:
    """The day a test runs on, read once when it starts: the test and its fixtures derive their dates and years from
    it, never from a day read when the module was imported (a session that crosses midnight then compared two
    days). `dt.date.today()`, as the code under test reads it, in the site's time zone (set above)."""
    return dt.date.today()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many logins; the production hasher (Argon2id, tens of ms each) would add up over thousands of them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def plain_http():
    """The test client and the live server speak plain HTTP, as `make demo` does (LOCAL_HTTP=1): without DEBUG
    the settings would redirect to HTTPS and mark cookies Secure (the deployment tests set them back). For the
    whole session, before the live server builds its middleware (SecurityMiddleware reads them once)."""
    from django.test import override_settings

    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def force_login_passes_second_factor():
    """`Client.force_login(user)` signs a user in without authenticating them: no password, and so no second
    step either (accounts.otp). The thousands of tests that use it test pages, not sign-in; a session they
    open is marked as having passed the second step, as a real sign-in would be after it. The sign-in itself
    (both steps, enrolment, lockout) is tested through the real forms (accounts/tests/test_otp.py) and the
    browser (`login` below types the code)."""
    from django.test import Client

    from dangjian.accounts import otp

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[otp.SESSION_KEY] = otp.PASSED
        session.save()

    Client.force_login = force_login  # type: ignore[method-assign]
    yield
    Client.force_login = original  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def plain_static_storage():
    """Pages name their static files as they are in static/: production's manifest storage names the hashed
    copies `collectstatic` writes, and would refuse to render a page before a collectstatic the test session
    does not run (the live server serves static/ through the finders). test_production_stack.py collects and
    serves them as production does."""
    from django.conf import settings
    from django.test import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@dataclass
class Tree:
    gw: object
    a_dz: object
    a: object
    a1: object
    a1g1: object
    a2: object
    b: object
    b_zz: object
    b1: object


@pytest.fixture
def tree(db) -> Tree:
    from dangjian.orgs.services import create_org

    def org(code, name, type_, parent=None, **extra):
        return create_org(
            actor=None,
            data={
                "code": code,
                "name": name,
                "type": type_,
                "parent": parent,
                "founded_on": dt.date(2018, 3, 1),
                **extra,
            },
        )

    gw = org("GW", "市级机关工作党委", "gongwei")
    a_dz = org("A-DZ", "甲委党组", "dangzu", gw, unit="甲委")
    a = org("A", "甲委机关党委", "dangwei", gw, unit="甲委")
    a1 = org("A1", "甲一支部", "zhibu", a, unit="甲委")
    a1g1 = org("A1G1", "甲一第一党小组", "xiaozu", a1, unit="甲委")
    a2 = org("A2", "甲二支部", "zhibu", a, unit="甲委")
    b = org("B", "乙委机关党委", "dangwei", gw, unit="乙委")
    b_zz = org("B-ZZ", "乙总支", "zongzhi", b, unit="乙委")
    b1 = org("B1", "乙一支部", "zhibu", b_zz, unit="乙委")
    return Tree(gw, a_dz, a, a1, a1g1, a2, b, b_zz, b1)


@pytest.fixture
def add_branches(tree, make_member):
    """`add_branches(n, start)`: n more 党支部 under 甲委机关党委 (AX<start>…), each with one member; with
    `admins=True` each gets its own 支部管理员 (admin_ax<i>)."""
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.orgs.services import create_org

    def _add(n: int, start: int, admins: bool = False) -> None:
        for i in range(start, start + n):
            data = {"code": f"AX{i}", "name": f"甲委第{i}支部", "type": "zhibu", "parent": tree.a}
            branch = create_org(actor=None, data=data | {"founded_on": dt.date(2018, 3, 1), "unit": "甲委"})
            make_member(branch, name=f"党员{i}")
            if admins:
                user = User.objects.create_user(username=f"admin_ax{i}", password=TEST_PASSWORD)
                RoleAssignment.objects.create(user=user, role="branch_admin", org=branch)

    return _add


@pytest.fixture
def make_member(db):
    from dangjian.members.services import create_member

    def _make(org, name="张三", **overrides):
        data = {
            "name": name,
            "id_number": overrides.pop("id_number", None) or unique_id_number(),
            "category": "formal",
            "joined_on": dt.date(2010, 7, 1),
            "confirmed_on": dt.date(2011, 7, 1),
            "org": org,
            "work_status": "active",
            "phone": "13812345678",
            "education": "bachelor",
            **overrides,
        }
        return create_member(actor=None, data=data)

    return _make


@pytest.fixture
def make_user(db):
    from dangjian.accounts.models import RoleAssignment, User

    def _make(username, role=None, org=None, include_descendants=True, member=None, password=TEST_PASSWORD):
        user = User.objects.create_user(username=username, password=password, member=member)
        if role:
            RoleAssignment.objects.create(
                user=user, role=role, org=org, include_descendants=include_descendants
            )
        return user

    return _make


@pytest.fixture
def users(tree, make_user, make_member):
    """One user per role: 工委管理员, 党委管理员 of 甲委, 支部管理员 of 甲一 and of 甲二 (sibling), a 党员 of 甲一."""
    own = make_member(tree.a1, name="李党员")
    return {
        "gongwei": make_user("gongwei", "gongwei_admin", tree.gw),
        "dangwei_a": make_user("dangwei_a", "dangwei_admin", tree.a),
        "branch_a1": make_user("branch_a1", "branch_admin", tree.a1),
        "branch_a2": make_user("branch_a2", "branch_admin", tree.a2),
        "member_a1": make_user("member_a1", "member", tree.a1, member=own),
        "norole": make_user("norole"),
        "own_member": own,
    }


@pytest.fixture
def system_users(db) -> dict:
    """三员分立: one account per system role (系统管理员 xitong, 安全管理员 anquan, 审计管理员 shenji), granted as the
    command line grants the first holders; their password is TEST_PASSWORD and needs no change."""
    from dangjian.accounts.services import create_user
    from dangjian.accounts.sysroles import grant_system_role

    found = {}
    for username, role in (
        ("xitong", "system_admin"),
        ("anquan", "security_admin"),
        ("shenji", "audit_admin"),
    ):
        user = create_user(
            actor=None, username=username, password=TEST_PASSWORD, display_name=f"{username}演示"
        )
        user.password_must_change = False
        user.save(update_fields=["password_must_change"])
        grant_system_role(actor=None, user=user, role=role)
        found[username] = user
    return found


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` exercise what only PostgreSQL has (the audit table's trigger): on SQLite they
    are deselected rather than skipped, so that a CI run on SQLite does not count them as skipped."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


# Written when a session starts, removed when it finishes: a run that ends the process on the way (an `os._exit` in
# the code under test ends it with status 0) leaves it behind, and `make test` fails on it. `make test` names one per
# run (PYTEST_UNFINISHED), so that two runs in one checkout do not remove each other's.
UNFINISHED = Path(__file__).resolve().parent.parent / os.environ.get(
    "PYTEST_UNFINISHED", ".pytest-unfinished"
)


# A test reads "today" when it runs (the `today` fixture; no module reads it at import any more, which
# core/tests/test_no_clock_at_import.py checks: a CI run that began at 23:45 failed 27 tests that way), but data built
# once for a module (the permission matrix's world) still carries the day it was built, and the code under test reads
# the day again. In CI a session does not start in the last MIDNIGHT_MARGIN before midnight: it waits for the new day
# instead, saying so. Outside CI it starts at once (a developer's single test rarely spans midnight).
MIDNIGHT_MARGIN = dt.timedelta(minutes=int(os.environ.get("DANGJIAN_TEST_MIDNIGHT_MARGIN", "30")))


def wait_past_midnight(now: dt.datetime, margin: dt.timedelta = MIDNIGHT_MARGIN) -> float:
    """Seconds to wait so that a session started at `now` (an aware local time) does not span midnight: none when
    midnight is further away than `margin`, else until just after it."""
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=now.tzinfo)
    left = midnight - now
    return left.total_seconds() + 5 if left <= margin else 0.0


def pytest_sessionstart(session):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        from django.utils import timezone

        pause = wait_past_midnight(timezone.localtime())
        if pause:
            print(
                f"测试会话将跨越 {django_settings.TIME_ZONE} 的午夜：等待 {pause:.0f} 秒，到新的一天再开始。",
                flush=True,
            )
            time.sleep(pause)
    UNFINISHED.write_text(str(os.getpid()), encoding="utf-8")


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: PostgreSQL and browser tests must really run."""
    UNFINISHED.unlink(missing_ok=True)
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter else []
        if skipped and session.exitstatus == 0:
            reporter.write_line(
                f"CI: {len(skipped)} test(s) skipped; skipped tests count as failures in CI.", red=True
            )
            session.exitstatus = 1


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page():
    """A Playwright page in Debian's headless Chromium (skipped — and so failed in CI — when absent)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (/usr/bin/chromium); `make test` installs it")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # ORM calls made while Playwright's loop was running opened their own connection:
            # close it, or PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def totp_device(user):
    """The user's confirmed authenticator, made when missing (as if enrolled earlier)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def next_code(device) -> str:
    """A code of `device` not used yet: the current one, or the next step's when the current one was used (a
    code works once; the device accepts one step of clock difference). Steps are counted with the device's drift,
    as the codes are: a code accepted one step off moves the drift (django-otp's OTP_TOTP_SYNC), and a step counted
    without it made the next code one step too far (a second sign-in refused, now and then)."""
    import time

    from dangjian.accounts import otp

    device.refresh_from_db()
    now = time.time()
    step = int((now - device.t0) // device.step) + device.drift
    if step <= device.last_t:
        now += device.step * (device.last_t + 1 - step)
    return otp.current_code(device, now)


def sign_in(client, username: str, password: str = TEST_PASSWORD, **extra):
    """Both steps of a sign-in through the forms of the test client: the password, then, for an administrator
    (or anyone with an authenticator), a code of their authenticator (made when missing). The last response."""
    from django.urls import reverse

    from dangjian.accounts import otp
    from dangjian.accounts.models import User

    user = User.objects.filter(username=username).first()
    device = totp_device(user) if user is not None and otp.second_factor_needed(user) else None
    response = client.post(reverse("login"), {"username": username, "password": password}, **extra)
    if device is not None and response.status_code == 302:
        response = client.post(reverse("otp_verify"), {"code": next_code(device)}, **extra)
    return response


@pytest.fixture
def login(browser_page, live_server):
    """Signs a user in on the browser page, as a person would: the login form of the live server, then, for an
    administrator (or anyone with an authenticator), the code of their authenticator (one is made for them
    when missing), then the dashboard. `login("branch_a1")`; to switch users, clear the page's cookies first."""

    def _login(username: str, password: str = TEST_PASSWORD) -> None:
        from dangjian.accounts import otp
        from dangjian.accounts.models import User

        base = live_server.url
        user = User.objects.get(username=username)
        device = totp_device(user) if otp.second_factor_needed(user) else None
        browser_page.goto(f"{base}/accounts/login/")
        browser_page.get_by_label("用户名").fill(username)
        browser_page.get_by_label("密码").fill(password)
        browser_page.get_by_role("button", name="登录").click()
        if device is not None:
            browser_page.get_by_label("验证码或恢复码").fill(next_code(device))
            browser_page.get_by_role("button", name="验证").click()
        browser_page.wait_for_url(f"{base}/")

    return _login


@pytest.fixture
def collector_spy(monkeypatch):
    """`spy(module, "name")` wraps a function of `module` so that each call records whether Python's cyclic garbage
    collector was running (`gc.isenabled()`); returns the list of records. For the bulk computations that pause it
    (core.perf.gc_paused)."""
    import gc

    def spy(module, name: str) -> list[bool]:
        seen: list[bool] = []
        real = getattr(module, name)

        def wrapped(*args, **kwargs):
            seen.append(gc.isenabled())
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)
        return seen

    return spy
