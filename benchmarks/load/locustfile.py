"""The load scenario "集中交纳日" for locust (run by benchmarks/load/run.py; by hand:
`locust -f benchmarks/load/locustfile.py --host http://127.0.0.1:8000`).

Three kinds of users, in the proportions 200 : 20 : 200, each clicking every 5–15 s as a person would:

- 支部管理员 (BranchAdmin): sign in (password, then the authenticator's code), home, the collection sheet of
  their branch, record the month's payments with every open row ticked (全选), arrears, the meetings list,
  record a meeting with its roster (one member absent, with a reason), their branch's compliance page;
- 党委/工委 staff (Staff): sign in, home, the compliance overview, a drill-down into one of its organisations,
  the organisation tree and a subtree, a member search, an export (the compliance table, the member roll);
- 党员 (Member): sign in, their own page (home) and 我的党费.

Each request is named by its page type (locust's statistics group by it). A write counts as a success only
when the application accepted it (the redirect after a recording; a page shown again with a form error is a
failure), and every page is checked to be the page asked for (not the sign-in page, not an error).

The accounts come from benchmarks/load/prepare.py (LOAD_ACCOUNTS: the JSON file it wrote). Each simulated user
takes the next account of its kind; the current authenticator code is computed from the account's secret.
LOAD_NO_WAIT=1 removes the think time (the capacity run); LOAD_RESET_AFTER_SIGN_INS=N restarts the statistics
once N users have signed in (the capacity run measures the pages without the sign-ins)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, SequentialTaskSet, between, constant, events, task

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ACCOUNTS_FILE = Path(os.environ.get("LOAD_ACCOUNTS", Path(__file__).resolve().parent / "accounts.json"))
NO_WAIT = os.environ.get("LOAD_NO_WAIT", "") == "1"
# The capacity run measures the pages, not the sign-ins: the statistics restart once this many users have
# signed in (0: never; the scenario run counts its sign-ins).
RESET_AFTER_SIGN_INS = int(os.environ.get("LOAD_RESET_AFTER_SIGN_INS", "0") or 0)
THINK = constant(0) if NO_WAIT else between(5, 15)
# a large export's wait (asking → file downloaded) is written here at the end of the run (run.py reports it)
EXPORT_WAITS_FILE = os.environ.get("LOAD_EXPORT_WAITS", "")
EXPORT_PATIENCE = 300  # seconds a user watches an export's page before giving up
BACKPAY_MONTHS = 6  # FEE-08: a 补交 covers at most 6 months before the month it is paid in without consent

# --- accounts and authenticator codes ---------------------------------------------------------------------

_data: dict = {}
_counters: dict[str, itertools.count] = {}
_lock = threading.Lock()
_last_step: dict[str, int] = {}  # the last authenticator step used per account in this process
_signed_in = 0
_export_waits: list[int] = []  # milliseconds from asking for a large export to having its file


@events.test_stop.add_listener
def _write_export_waits(environment, **kwargs) -> None:
    if EXPORT_WAITS_FILE:
        Path(EXPORT_WAITS_FILE).write_text(json.dumps(_export_waits), encoding="utf-8")


def _accounts(role: str) -> list[dict]:
    global _data
    if not _data:
        _data = json.loads(ACCOUNTS_FILE.read_text(encoding="utf-8"))
    return [a for a in _data["accounts"] if a["role"] == role]


def next_account(role: str) -> dict:
    """The next account of the role, in turn (more users than accounts share them)."""
    pool = _accounts(role)
    if not pool:
        raise RuntimeError(f"{ACCOUNTS_FILE} 中没有 {role} 账号：请先运行 benchmarks/load/prepare.py")
    with _lock:
        counter = _counters.setdefault(role, itertools.count())
        return pool[next(counter) % len(pool)]


def totp(key_hex: str, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (django-otp's TOTPDevice defaults: 30 s, 6 digits, SHA-1, t0 0)."""
    counter = int(at // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def fresh_code(account: dict) -> str:
    """A code not used yet in this process: the current step's, or the next one's (the device accepts one step
    of clock difference); waits for a later step when both were used (a code works once)."""
    while True:
        now = time.time()
        step = int(now // 30)
        with _lock:
            last = _last_step.get(account["username"], -1)
            for candidate in (step, step + 1):
                if candidate > last:
                    _last_step[account["username"]] = candidate
                    return totp(account["otp_key"], candidate * 30)
        time.sleep(30 - now % 30 + 0.1)


# --- forms, as a browser submits them ---------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page with what a browser would submit: inputs (checkboxes and radios when checked),
    the selected option of each select (the first when none is), textareas."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"attrs": a, "fields": [], "checkboxes": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio"):
                self._form["checkboxes"].append((name, a.get("value", "on"), "checked" in a, a))
                if "checked" in a:
                    fields.append([name, a.get("value", "on")])
                return
            fields.append([name, a.get("value", "")])
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a and self._select["selected"] is None:
                self._select["selected"] = value
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            s = self._select
            value = s["selected"] if s["selected"] is not None else s["first"]
            if value is not None:
                self._form["fields"].append([s["name"], value])
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form["fields"].append([self._textarea["name"], self._textarea["text"].strip("\n")])
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_with(html: str, **attrs) -> dict | None:
    """The first form whose attributes include `attrs` (data_testid="bulk-form" for data-testid)."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    for form in forms_of(html):
        if all(form["attrs"].get(k) == v for k, v in wanted.items()):
            return form
    return None


def set_field(fields: list[list[str]], name: str, value: str) -> None:
    for pair in fields:
        if pair[0] == name:
            pair[1] = value
            return
    fields.append([name, value])


def encoded(fields: list[list[str]]) -> str:
    """A form's fields ([name, value] pairs, a name possibly repeated) as the browser sends them."""
    return urlencode([(name, value) for name, value in fields])


def form_errors(html: str) -> str:
    """The form errors shown on a page, in short ("" when none)."""
    found = re.findall(
        r'class="[^"]*(?:invalid-feedback|alert-danger|text-danger)[^"]*"[^>]*>([^<]{1,120})', html
    )
    return "；".join(t.strip() for t in found if t.strip())[:300]


# --- the users --------------------------------------------------------------------------------------------


class Browser(FastHttpUser):
    """A person at a browser: signs in once, then clicks through their flow.

    locust's FastHttpUser (geventhttpclient), not its requests-based HttpUser: on the machine that also runs the
    server, the harness's own CPU is taken from the server's; this client costs a fraction of requests' per
    request. It follows no redirect here (a page asked for is the page answered: a 302 is reported, never
    followed silently), and a form is sent encoded as a browser sends it."""

    abstract = True
    role = ""
    wait_time = THINK

    def on_start(self):
        self.account = next_account(self.role)
        self.sign_in()
        self.signed_in()

    def signed_in(self) -> None:
        global _signed_in
        with _lock:
            _signed_in += 1
            last = _signed_in == RESET_AFTER_SIGN_INS
        if last and self.environment.runner is not None:
            self.environment.runner.stats.reset_all()

    def page(self, path: str, name: str, expect: str = "", params: dict | None = None) -> str:
        """GET a page; a failure when it is not the page asked for (an error status, the sign-in page, or
        `expect` missing from it)."""
        url = f"{path}?{urlencode(params, doseq=True)}" if params else path
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            text = response.text or ""
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code in (301, 302) and "/accounts/login/" in location:
                response.failure("被转到登录页")
            elif response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {location}".strip())
            elif expect and expect not in text:
                response.failure(f"页面缺少“{expect}”")
            else:
                response.success()
            return text

    def post_form(self, path: str, fields: list, name: str, success_path: str = "") -> bool:
        """POST a form as the browser would; success is the redirect of an accepted write (to `success_path`
        when given). The page that follows the redirect is not fetched here."""
        with self.client.post(
            path,
            data=encoded(fields),
            headers=FORM,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and (not success_path or success_path in location):
                response.success()
                self.last_location = location
                return True
            detail = form_errors(response.text or "") if response.status_code in (200, 400) else ""
            response.failure(f"HTTP {response.status_code} {location} {detail}".strip())
            return False

    def sign_in(self) -> None:
        html = self.page("/accounts/login/", "登录页", expect='name="password"')
        form = form_with(html, method="post") or {"fields": []}
        fields = form["fields"]
        set_field(fields, "username", self.account["username"])
        set_field(fields, "password", _data["password"])
        set_field(fields, "next", "/")
        with self.client.post(
            "/accounts/login/",
            data=encoded(fields),
            headers=FORM,
            name="登录",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or urlsplit(location).path == "/accounts/login/":
                response.failure(
                    f"登录失败：HTTP {response.status_code} {location} {form_errors(response.text or '')}"
                )
                return
            response.success()
        if self.account.get("otp_key"):  # the home page sends an administrator to the second step first
            with self.client.get(
                location or "/", name="转到验证码页", allow_redirects=False, catch_response=True
            ) as response:
                verify_url = response.headers.get("Location", "") if response.headers else ""
                if response.status_code != 302 or "/verify/" not in verify_url:
                    response.failure(f"未转到验证码页：HTTP {response.status_code} {verify_url}")
                    return
                response.success()
            with self.client.get(verify_url, name="验证码页", catch_response=True) as response:
                if response.status_code != 200 or 'name="code"' not in (response.text or ""):
                    response.failure(f"未转到验证码页：HTTP {response.status_code} {verify_url}")
                    return
                response.success()
                html = response.text
            form = form_with(html, method="post") or {"fields": []}
            fields = form["fields"]
            set_field(fields, "code", fresh_code(self.account))
            path = urlsplit(verify_url)
            if not self.post_form(f"{path.path}?{path.query}" if path.query else path.path, fields, "验证码"):
                return
        self.page("/", "首页")


class BranchFlow(SequentialTaskSet):
    """The 支部管理员's round on the collection day."""

    @property
    def branch(self) -> int:
        return self.user.account["org_id"]

    def on_start(self):
        self.month = dt.date.today().replace(day=1)

    def month_before(self) -> None:
        """The next round records the month before, back to the earliest month a 补交 may cover without the
        branch's consent (FEE-08: 6 months; ticking 全选 on an older month is refused, rightly, for its rows
        need the consent); then the current month again."""
        this_month = dt.date.today().replace(day=1)
        earlier = (self.month - dt.timedelta(days=1)).replace(day=1)
        back = (this_month.year - earlier.year) * 12 + this_month.month - earlier.month
        self.month = earlier if back <= BACKPAY_MONTHS else this_month

    @task
    def home(self):
        self.user.page("/", "首页")

    @task
    def sheet_and_record(self):
        """The collection sheet, then the month's payments with every open row ticked (全选). A month with
        nothing left open (recorded earlier) moves the next round to the month before."""
        month = f"{self.month:%Y-%m}"
        html = self.user.page(
            "/dues/", "党费收缴表", expect="党费收缴表", params={"org": self.branch, "month": month}
        )
        form = form_with(html, data_testid="bulk-form")
        if form is None:
            return
        fields = form["fields"]
        picks = [(n, v) for n, v, _checked, _a in form["checkboxes"] if n.endswith("-pick")]
        if not picks:
            self.month_before()
            return
        self.wait()  # ticking 全选 and checking the amounts
        for n, v in picks:
            fields.append([n, v])
        if self.user.post_form("/dues/", fields, "登记缴费（全选）", success_path="/dues/"):
            self.month_before()
            self.user.page(self.user.last_location, "党费收缴表", expect="党费收缴表")

    @task
    def arrears(self):
        self.user.page("/dues/arrears/", "欠缴党费", params={"org": self.branch})

    @task
    def meetings(self):
        self.user.page("/meetings/", "组织生活列表")

    @task
    def record_meeting(self):
        """The entry form with the branch and 支部委员会 or 支部党员大会 chosen, the roster that follows, one
        member marked absent (病假), then the record."""
        kind = random.choice(["committee", "assembly", "theme_day"])
        day = dt.date.today() - dt.timedelta(days=random.randint(0, 20))
        html = self.user.page(
            "/meetings/new/",
            "录入会议",
            expect="出席情况",
            params={"org": self.branch, "type": kind, "date": day.isoformat()},
        )
        form = form_with(html, method="post", enctype="multipart/form-data") or form_with(html, method="post")
        if form is None:
            return
        fields = form["fields"]
        set_field(fields, "topic", f"压测{kind}{day:%m%d}{random.randint(0, 9999):04d}")
        set_field(fields, "place", "党员活动室")
        set_field(fields, "content", "学习传达上级精神，研究本月工作。")
        leading = {v for n, v in fields if n in ("host", "lecturer")}  # the host and lecturer were there
        absent = [v for n, v, _c, _a in form["checkboxes"] if n == "absentees" and v not in leading]
        if absent:
            who = random.choice(absent)
            fields.append(["absentees", who])
            set_field(fields, f"reason_kind_{who}", "sick")
        if not any(n == "types" for n, _v in fields):
            fields.append(["types", kind])
        self.wait()  # filling in the form
        if self.user.post_form("/meetings/new/", fields, "记录会议", success_path="/meetings/"):
            self.user.page(self.user.last_location, "会议详情")

    @task
    def compliance(self):
        self.user.page(f"/compliance/org/{self.branch}/", "本支部合规")


class BranchAdmin(Browser):
    weight = 200
    role = "branch_admin"
    tasks = [BranchFlow]


class StaffFlow(SequentialTaskSet):
    """党委/工委 staff browsing their scope."""

    @task
    def home(self):
        self.user.page("/", "首页")

    @task
    def overview(self):
        html = self.user.page("/compliance/", "合规总览")
        self.drill = sorted(set(re.findall(r'href="/compliance/org/(\d+)/', html)))

    @task
    def drill_down(self):
        if getattr(self, "drill", None):
            self.user.page(f"/compliance/org/{random.choice(self.drill)}/", "合规下钻")

    @task
    def org_tree(self):
        html = self.user.page("/orgs/", "组织树")
        subtrees = sorted(set(re.findall(r"/orgs/(\d+)/subtree/", html)))
        if subtrees:
            self.user.page(f"/orgs/{random.choice(subtrees)}/subtree/", "组织树展开")

    @task
    def member_search(self):
        self.user.page("/members/", "党员查询", params={"q": random.choice("王李张刘陈杨黄赵吴周")})

    @task
    def export(self):
        """An export: a small scope's file at once; a large one's made by the task worker, whose page this user
        watches (as the page refreshes itself, every 2 s) until the file is ready, then downloads it. The time
        from asking to the file is not a page's response time: it is kept apart (LOAD_EXPORT_WAITS)."""
        if random.random() < 0.5:
            path, name = "/compliance/export/", "导出合规表"
        else:
            path, name = "/members/export.xlsx", "导出党员名册"
        asked = time.monotonic()
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            kind = response.headers.get("Content-Type", "")
            job = urlsplit(response.headers.get("Location", "")).path
            if response.status_code == 200 and "html" not in kind:
                response.success()  # made at once
                return
            if response.status_code != 302 or not job.startswith("/exports/"):
                response.failure(f"HTTP {response.status_code} {kind}")
                return
            response.success()
        while time.monotonic() - asked < EXPORT_PATIENCE:
            time.sleep(2)
            with self.client.get(job, name="导出进度页", catch_response=True) as response:
                found = re.search(r'data-status="(\w+)"', response.text or "")
                status = found.group(1) if found else ""
                if response.status_code != 200 or status not in ("queued", "running", "done"):
                    response.failure(f"HTTP {response.status_code} {status or '不是导出进度页'}")
                    return
                response.success()
            if status == "done":
                break
        else:  # not ready within the patience: a failure of the export
            self.user.environment.events.request.fire(
                request_type="GET",
                name="导出进度页",
                response_time=(time.monotonic() - asked) * 1000,
                response_length=0,
                exception=RuntimeError(f"{EXPORT_PATIENCE} 秒后仍未生成"),
                context={},
            )
            return
        with self.client.get(f"{job}download/", name="导出下载", catch_response=True) as response:
            if response.status_code != 200 or "html" in response.headers.get("Content-Type", ""):
                response.failure(f"HTTP {response.status_code}")
                return
            response.success()
        with _lock:
            _export_waits.append(round((time.monotonic() - asked) * 1000))

    @property
    def client(self):
        return self.user.client


class Staff(Browser):
    weight = 20
    role = "dangwei_admin"

    def on_start(self):
        # the 党委 and 工委 staff share one pool: 2 工委管理员 among 20
        pool = _accounts("dangwei_admin") + _accounts("gongwei_admin")
        with _lock:
            counter = _counters.setdefault("staff", itertools.count())
            self.account = pool[next(counter) % len(pool)]
        self.sign_in()
        self.signed_in()

    tasks = [StaffFlow]


class MemberFlow(SequentialTaskSet):
    @task
    def own_page(self):
        self.user.page("/", "本人主页")

    @task
    def own_dues(self):
        self.user.page("/dues/mine/", "我的党费")


class Member(Browser):
    weight = 200
    role = "member"
    tasks = [MemberFlow]
