"""The load benchmark, run on demand (not a test): the production stack against the municipal database, locust
headless, per-page figures, the memory of the workers, a JSON file and a Markdown table.

    .venv/bin/pip install -e '.[load]'                      # locust and psutil (not in dev)
    .venv/bin/python benchmarks/load/run.py                 # prepare, scenario run, capacity run
    .venv/bin/python benchmarks/load/run.py --smoke         # a few users for two minutes: does it all work?

What it does:

1. prepare.py: the load accounts (200 支部管理员, 20 党委/工委 staff, 200 党员) and their authenticators;
2. the production stack of `make serve` on --port: `dangjian migrate`, `collectstatic`, the task worker
   (`dangjian worker`, DANGJIAN_TASKS=database) and gunicorn with deploy/gunicorn.conf.py, DEBUG=0, LOCAL_HTTP=1,
   --workers processes (default 5: the README's 2 × cores + 1 for the 2-core machine) of 2 threads;
3. the scenario run "集中交纳日": all 420 users (weights 200/20/200), spawned over --ramp-up seconds, then
   --minutes minutes, 5–15 s between clicks; then the RSS of each gunicorn worker and of the task worker;
4. the capacity run: the 支部管理员 flow without think time at each --capacity-users count in turn (a fresh
   locust per step, --step-minutes each, counted from when every user has signed in); the highest throughput
   whose p95 stays ≤ 500 ms without failures;
5. --repeat N repeats both, each with a stack started anew (the table gives medians and the range);
   --fresh-copy runs each repetition against a copy of the database made for it (CREATE DATABASE … TEMPLATE,
   dropped afterwards), so that every run finds the same months left to record;
6. results/<date>.json and results/<date>.md (the table, the machine, the date, the command).

The database is DATABASE_URL (default the municipal load database, made by `dangjian seed --scale municipal
--seed 1` and `dangjian demo_users`). Personal data is decrypted with the key of the checkout that seeded it:
run from that checkout (its var/), or give its SECRET_KEY / PII_KEY / DANGJIAN_VAR_DIR in the environment.
Without --fresh-copy the writes of the scenario (payments, meetings) stay in that database: a 支部管理员 whose
month is recorded records the month before on the next round, so a repeated run records earlier months."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/dangjian_bench_load"
P95_LIMIT_MS = 500
INSTALL_HINT = "未安装 locust：请先运行  .venv/bin/pip install -e '.[load]'  （locust、psutil，仅压测需要）"


def need_tools() -> None:
    try:
        import locust  # noqa: F401
        import psutil  # noqa: F401
    except ImportError:
        sys.exit(INSTALL_HINT)


# --- the stack --------------------------------------------------------------------------------------------


class Stack:
    """gunicorn (deploy/gunicorn.conf.py) and the task worker, as `make serve` starts them."""

    def __init__(self, env: dict, port: int, workers: int, threads: int, log_dir: Path):
        self.env = {
            **env,
            "DEBUG": "0",
            "LOCAL_HTTP": "1",
            "DANGJIAN_TASKS": "database",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
        }
        self.url = f"http://127.0.0.1:{port}"
        self.log_dir = log_dir
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._keeper: threading.Thread | None = None
        # CPU seconds of the task workers that have left (each one's last reading before it left)
        self.worker_cpu_gone = 0.0
        self._worker_cpu = 0.0
        self.log_start = 0  # where this stack's lines begin in gunicorn.log
        self.worker_log_start = 0  # and in worker.log

    def start(self) -> None:
        subprocess.run([str(BIN / "dangjian"), "migrate", "--noinput"], env=self.env, cwd=ROOT, check=True)
        subprocess.run(
            [str(BIN / "dangjian"), "collectstatic", "--noinput", "-v", "0"],
            env=self.env,
            cwd=ROOT,
            check=True,
        )
        if (self.log_dir / "worker.log").exists():
            self.worker_log_start = (self.log_dir / "worker.log").stat().st_size
        self.worker = self._start_worker()
        self.worker_restarts = 0
        self.worker_peak_mb = 0.0
        if (self.log_dir / "gunicorn.log").exists():  # a repetition's lines follow the previous one's
            self.log_start = (self.log_dir / "gunicorn.log").stat().st_size
        log = open(self.log_dir / "gunicorn.log", "ab")
        self.gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        self._keeper = threading.Thread(target=self._keep_worker, daemon=True)
        self._keeper.start()
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.gunicorn.poll() is not None:
                raise SystemExit(f"gunicorn 未能启动，见 {self.log_dir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) >= int(self.env["WEB_CONCURRENCY"]):
                        return
            except OSError:
                pass
            time.sleep(1)
        raise SystemExit(f"gunicorn 120 秒内未就绪，见 {self.log_dir / 'gunicorn.log'}")

    def _start_worker(self) -> subprocess.Popen:
        log = open(self.log_dir / "worker.log", "ab")  # closed when the process ends
        return subprocess.Popen(
            [str(BIN / "dangjian"), "worker"], env=self.env, cwd=ROOT, stdout=log, stderr=log
        )

    def _keep_worker(self) -> None:
        """What systemd does for deploy/dangjian-worker.service (Restart=always, RestartSec=1): a task worker that
        leaves (it does, past settings.TASK_WORKER_MAX_MB, after a large export) is started again a second later. Without
        it the rest of a run would have no refreshes after writes and no background exports, and look lighter than
        production. Its peak memory is sampled every second."""
        import psutil

        while not self._stopping.wait(1):
            try:
                process = psutil.Process(self.worker.pid)
                rss = process.memory_info().rss / 2**20
                self.worker_peak_mb = max(self.worker_peak_mb, round(rss, 1))
                times = process.cpu_times()
                self._worker_cpu = times.user + times.system
            except psutil.NoSuchProcess:
                pass
            if self.worker.poll() is not None and not self._stopping.wait(1):
                self.worker_cpu_gone += self._worker_cpu
                self._worker_cpu = 0.0
                self.worker = self._start_worker()
                self.worker_restarts += 1

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.gunicorn.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def cpu(self) -> dict:
        """CPU seconds used so far (user + system) by the web server (gunicorn's master, its workers and the workers
        it has replaced), the task worker (and those that left), PostgreSQL (every server process, and the backends
        that have ended) and the whole machine (busy and idle), to be compared before and after a run."""
        import psutil

        def used(process, *, children: bool = False) -> float | None:
            """None when the process has ended (it may between listing it and reading it)."""
            try:
                if isinstance(process, int):
                    process = psutil.Process(process)
                t = process.cpu_times()
            except psutil.NoSuchProcess:
                return None
            return t.user + t.system + ((t.children_user + t.children_system) if children else 0.0)

        web = used(self.gunicorn.pid, children=True) or 0.0
        web += sum(used(pid) or 0.0 for pid in self.worker_pids())
        # a task worker that has left and is not started again yet (a second later) counts with its last reading
        current = used(self.worker.pid)
        worker = self.worker_cpu_gone + (self._worker_cpu if current is None else current)
        database = 0.0
        for process in psutil.process_iter(["name", "ppid"]):
            if process.info["name"] == "postgres":
                # the postmaster (whose parent is not a postgres) has reaped the backends that ended
                database += used(process, children=_is_postmaster(process)) or 0.0
        machine = psutil.cpu_times()
        busy = ("user", "nice", "system", "irq", "softirq")
        return {
            "web": web,
            "task_worker": worker,
            "postgres": database,
            "machine_busy": sum(getattr(machine, name, 0.0) for name in busy),
            "machine_idle": machine.idle + getattr(machine, "iowait", 0.0),
            "machine_steal": getattr(machine, "steal", 0.0),  # taken by the host for other machines
        }

    def memory(self) -> dict:
        """RSS in MB of each gunicorn worker process and of the task worker."""
        import psutil

        def rss(pid: int) -> float:
            try:
                return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
            except psutil.NoSuchProcess:
                return 0.0

        return {
            "gunicorn_workers_mb": sorted(rss(pid) for pid in self.worker_pids()),
            "gunicorn_master_mb": rss(self.gunicorn.pid),
            "task_worker_mb": rss(self.worker.pid),
            # sampled every second, or as a worker leaving past its limit logged it (its growth in the last
            # second of a large export is missed by the sampling)
            "task_worker_peak_mb": max(
                self.worker_peak_mb, logged_peak_mb(self.log_dir / "worker.log", self.worker_log_start)
            ),
            "task_worker_restarts": self.worker_restarts,
        }

    def collections(self) -> dict:
        """The web workers' garbage collection during this stack's life, from the line each logged as it exited
        (deploy/gunicorn.conf.py, dangjian.core.gcpolicy): per worker its requests and its full (generation 2)
        collections, how many, in all and the longest (ms). Read after `stop`."""
        if not (self.log_dir / "gunicorn.log").exists():  # the stack stopped before gunicorn started
            return {"workers": []}
        with open(self.log_dir / "gunicorn.log", "rb") as log:
            log.seek(self.log_start)
            text = log.read().decode("utf-8", "replace")
        workers = []
        for m in re.finditer(
            r"Worker garbage collector: (\d+) requests, (\d+) objects frozen;.*?generation 2: (\d+) collections, "
            r"(\d+) ms in all, the longest ([\d.]+) ms",
            text,
        ):
            requests, frozen, count, total, longest = m.groups()
            workers.append(
                {
                    "requests": int(requests),
                    "frozen": int(frozen),
                    "full_collections": int(count),
                    "full_ms": int(total),
                    "longest_ms": float(longest),
                }
            )
        return {"workers": workers}

    def stop(self) -> None:
        self._stopping.set()
        if self._keeper is not None:
            self._keeper.join()  # no worker started after this
        procs = [proc for proc in (self.gunicorn, self.worker) if proc is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- locust -----------------------------------------------------------------------------------------------


def logged_peak_mb(path: Path, offset: int = 0) -> float:
    """The largest memory a task worker logged past its limit (dangjian worker: "任务进程内存 302 MB 超过 300 MB…",
    before it gave memory back, and left or went on) in `path` from `offset`; 0 when none did."""
    if not path.exists():
        return 0.0
    with open(path, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    return max((float(m) for m in re.findall(r"任务进程内存 (\d+) MB 超过", text)), default=0.0)


def _is_postmaster(process) -> bool:
    """PostgreSQL's postmaster: the postgres process whose parent is not one (it reaps the backends)."""
    import psutil

    try:
        return psutil.Process(process.info["ppid"]).name() != "postgres"
    except psutil.NoSuchProcess:
        return True


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def read_results(prefix: Path | str) -> tuple[dict, dict, list[dict]]:
    """A locust run's per-page figures, its totals and its failures, from the CSV files it wrote under `prefix`."""
    pages, total = {}, {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if not int(row["Request Count"]):
                continue  # a page not requested since the statistics restarted: N/A throughout
            figures = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "max_ms": _number(row["Max Response Time"]),
                "rps": _number(row["Requests/s"]),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                pages[f"{row['Type']} {row['Name']}"] = figures
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, encoding="utf-8") as f:
            failures = [
                {"page": r["Name"], "error": r["Error"][:300], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)
            ]
    # an exception in a simulated user's code (its sign-in, its flow) is no request, so locust counts no failure
    # for it: the run reports it as one, lest a harness that stopped half its users look like a clean run
    exceptions_csv = Path(f"{prefix}_exceptions.csv")
    if exceptions_csv.exists():
        with open(exceptions_csv, encoding="utf-8") as f:
            crashed = [
                {"page": "（压测脚本异常）", "error": r["Message"][:300], "count": int(r["Count"])}
                for r in csv.DictReader(f)
            ]
        failures += crashed
        if total:
            total["failures"] += sum(c["count"] for c in crashed)
    return pages, total, failures


def run_locust(
    *,
    stack: Stack,
    users: int,
    spawn_rate: float,
    seconds: int,
    classes: list[str],
    env: dict,
    prefix: Path,
) -> dict:
    """One headless locust run; its per-page statistics and failures from the CSV files."""
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        stack.url,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "20",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    waits_file = Path(f"{prefix}_export_waits.json")
    env = {**env, "LOAD_EXPORT_WAITS": str(waits_file)}
    before = stack.cpu()
    started = time.monotonic()
    with open(f"{prefix}.log", "wb") as log:
        locust = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        _pid, _status, usage = os.wait4(locust.pid, 0)  # locust's own CPU time, as it ends
        locust.returncode = 0  # reaped here: Popen must not wait for it again
    after = stack.cpu()
    cpu = {name: round(after[name] - before[name], 1) for name in before}
    cpu["locust"] = round(usage.ru_utime + usage.ru_stime, 1)
    cpu["wall"] = round(time.monotonic() - started, 1)
    pages, total, failures = read_results(prefix)
    waits = json.loads(waits_file.read_text(encoding="utf-8")) if waits_file.exists() else []
    return {
        "users": users,
        "seconds": seconds,
        "pages": pages,
        "total": total,
        "failures": failures,
        "export_waits_ms": sorted(waits),  # asking for a large export → its file downloaded (not a page)
        "cpu_s": cpu,  # CPU seconds of each party during the run (Stack.cpu), locust's own and the wall time
    }


def scenario(args, stack: Stack, env: dict, work: Path, i: int) -> dict:
    """The scenario run: all users, the ramp-up, then the minutes asked for; the memory after it."""
    users = 42 if args.smoke else 420
    ramp = 60 if args.smoke else args.ramp_up
    seconds = 120 if args.smoke else int(ramp + args.minutes * 60)
    print(f"场景运行 {i + 1}/{args.repeat}：{users} 个用户，{seconds} 秒 …", flush=True)
    run = run_locust(
        stack=stack,
        users=users,
        spawn_rate=max(users / ramp, 0.1),
        seconds=seconds,
        classes=["BranchAdmin", "Staff", "Member"],
        env={**env, "LOAD_NO_WAIT": "0"},
        prefix=work / f"scenario-{i + 1}",
    )
    run["memory"] = stack.memory()
    run["ramp_up"] = ramp
    total = run["total"]
    print(
        f"  {total.get('requests', 0)} 个请求，失败 {total.get('failures', 0)}，"
        f"p95 {total.get('p95_ms', 0):.0f} 毫秒，内存 {run['memory']}",
        flush=True,
    )
    return run


def capacity(args, stack: Stack, env: dict, work: Path, i: int) -> dict:
    """The capacity run: the 支部管理员 flow without think time, a step of users at a time; the highest
    throughput whose p95 stays within P95_LIMIT_MS without failures."""
    steps = []
    for users in [int(x) for x in args.capacity_users.split(",") if x.strip()]:
        time.sleep(5)
        print(f"容量运行 {i + 1}/{args.repeat}：{users} 个用户 …", flush=True)
        step = run_locust(
            stack=stack,
            users=users,
            spawn_rate=max(users / 10, 1),
            seconds=int(args.step_minutes * 60),
            classes=["BranchAdmin"],
            env={**env, "LOAD_NO_WAIT": "1", "LOAD_RESET_AFTER_SIGN_INS": str(users)},
            prefix=work / f"capacity-{i + 1}-{users}",
        )
        steps.append(step)
        total = step["total"]
        print(
            f"  {total.get('rps', 0):.1f} 请求/秒，p95 {total.get('p95_ms', 0):.0f} 毫秒，失败 {total.get('failures', 0)}",
            flush=True,
        )
        if total.get("p95_ms", 0) > 2 * P95_LIMIT_MS:
            break  # well past the limit: more users only queue
    within = [
        s["total"]["rps"]
        for s in steps
        if s["total"] and s["total"]["p95_ms"] <= P95_LIMIT_MS and not s["total"]["failures"]
    ]
    return {"steps": steps, "best_rps": max(within) if within else 0.0, "memory": stack.memory()}


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def fresh_copy(url: str) -> str:
    """A copy of the database (CREATE DATABASE … TEMPLATE: nobody may be connected to it meanwhile), so that
    each run starts from the same data: the same months left to record."""
    name = urlsplit(url).path.lstrip("/")
    copy = f"{name}_run"
    _admin(url, f'DROP DATABASE IF EXISTS "{copy}"')
    _admin(url, f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{copy}"))


def drop_database(url: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}"')


# --- the report -------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _fmt(values: list[float], digits: int = 0) -> str:
    if not values:
        return "—"
    med = statistics.median(values)
    text = f"{med:.{digits}f}"
    if len(values) > 1 and min(values) != max(values):
        text += f"（{min(values):.{digits}f}–{max(values):.{digits}f}）"
    return text


def cpu_shares(run: dict, cpus: int) -> dict:
    """A run's CPU seconds (run_locust's cpu_s) as shares of the machine's time (cores × wall), and the CPU of the
    application (web, database, task worker) per request."""
    cpu = run["cpu_s"]
    capacity = max(cpus * cpu["wall"], 1e-9)
    parties = ("web", "postgres", "task_worker", "locust")
    shares = {name: cpu[name] / capacity for name in parties}
    shares["other"] = max(cpu["machine_busy"] - sum(cpu[name] for name in parties), 0.0) / capacity
    shares["idle"] = cpu["machine_idle"] / capacity
    requests = run["total"].get("rps", 0) * cpu["wall"]
    app = cpu["web"] + cpu["postgres"] + cpu["task_worker"]
    shares["app_ms_per_request"] = 1000 * app / requests if requests else 0.0
    return shares


def _cpu_row(label: str, run: dict, cpus: int) -> str:
    s = cpu_shares(run, cpus)
    cells = [
        f"{100 * s[name]:.0f} %" for name in ("web", "postgres", "task_worker", "locust", "other", "idle")
    ]
    return f"| {label} | {' | '.join(cells)} | {s['app_ms_per_request']:.0f} |"


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"负载测试 {result['date']}（UTC）；{m['cpus']} 核 {m['cpu']}，内存 {m['memory_gb']} GB，"
        f"开始前负载 {m['load_average_before']}；gunicorn {result['workers']} 个进程 × {result['threads']} 个线程"
        f"＋后台任务进程；{result['repeat']} 次运行取中位数（括号内为最小–最大值）。",
        "",
    ]
    scenarios = result["scenario_runs"]
    if scenarios:
        first = scenarios[0]
        users = first["users"]
        staff = round(users * 20 / 420)
        branch = (users - staff) // 2
        lines += [
            f"场景“集中交纳日”：{users} 个用户（支部管理员 {branch}、党委/工委 {staff}、党员 {users - staff - branch}），"
            f"点击间隔 5–15 秒，共 {first['seconds'] / 60:.0f} 分钟（前 {first['ramp_up']} 秒逐步加入，"
            "其间各自登录）。",
            "",
            "| 页面 | 请求数 | 失败 | p50（毫秒） | p95（毫秒） | 最大（毫秒） |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        names = sorted({name for run in scenarios for name in run["pages"]})
        for name in names:
            runs = [run["pages"][name] for run in scenarios if name in run["pages"]]
            lines.append(
                f"| {name} | {_fmt([r['requests'] for r in runs])} | {_fmt([r['failures'] for r in runs])} | "
                f"{_fmt([r['p50_ms'] for r in runs])} | {_fmt([r['p95_ms'] for r in runs])} | "
                f"{_fmt([r['max_ms'] for r in runs])} |"
            )
        totals = [run["total"] for run in scenarios]
        lines.append(
            f"| **合计** | {_fmt([t['requests'] for t in totals])} | {_fmt([t['failures'] for t in totals])} | "
            f"{_fmt([t['p50_ms'] for t in totals])} | {_fmt([t['p95_ms'] for t in totals])} | "
            f"{_fmt([t['max_ms'] for t in totals])} |"
        )
        workers = [max(run["memory"]["gunicorn_workers_mb"] or [0]) for run in scenarios]
        lines += [
            "",
            f"吞吐量 {_fmt([t['rps'] for t in totals], 1)} 请求/秒；失败 {_fmt([t['failures'] for t in totals])} 次；"
            f"运行后 gunicorn 工作进程内存（RSS）最大 {_fmt(workers)} MB"
            f"（各进程：{'、'.join(str(x) for x in scenarios[-1]['memory']['gunicorn_workers_mb'])} MB），"
            f"后台任务进程 {_fmt([run['memory']['task_worker_mb'] for run in scenarios])} MB"
            f"（运行中最大 {_fmt([run['memory'].get('task_worker_peak_mb', 0) for run in scenarios])} MB，"
            f"超过内存上限退出后重新启动 {_fmt([run['memory'].get('task_worker_restarts', 0) for run in scenarios])} 次）。",
        ]
        gc_workers = [w for run in result.get("gc_runs", []) for w in run["workers"]]
        if gc_workers:
            lines += [
                "",
                f"gunicorn 工作进程的完整垃圾回收（{len(gc_workers)} 个进程退出时的记录，含容量运行）："
                f"共 {sum(w['full_collections'] for w in gc_workers)} 次，合计 "
                f"{sum(w['full_ms'] for w in gc_workers)} 毫秒，最长一次 "
                f"{max(w['longest_ms'] for w in gc_workers):.0f} 毫秒；各进程冻结的对象 "
                f"{_fmt([w['frozen'] for w in gc_workers])} 个（deploy/gunicorn.conf.py，GUNICORN_GC_FREEZE_AFTER）。",
            ]
        waits = [w for run in scenarios for w in run.get("export_waits_ms", [])]
        if waits:
            lines += [
                "",
                f"后台生成的大导出（工委、党委的全部检查结果和党员名册）：{len(waits)} 次，从提交到下载完成 "
                f"中位数 {statistics.median(waits) / 1000:.1f} 秒，p95 {_percentile(waits, 95) / 1000:.1f} 秒，"
                f"最长 {max(waits) / 1000:.1f} 秒（其间进度页每 2 秒刷新一次，计入上表“导出进度页”）。",
            ]
    failures = [f for run in scenarios for f in run["failures"]]
    failures += [f for run in result["capacity_runs"] for step in run["steps"] for f in step["failures"]]
    if failures:
        lines += ["", "失败：", ""]
        lines += [f"- {f['page']}：{f['error']}（{f['count']} 次）" for f in failures]
    capacity = result["capacity_runs"]
    if capacity:
        lines += [
            "",
            f"容量：只有支部管理员的操作、无点击间隔，每档 {capacity[0]['steps'][0]['seconds']} 秒"
            "（统计从全部用户登录之后算起，不含登录）：",
            "",
            "| 并发用户 | 吞吐量（请求/秒） | p50（毫秒） | p95（毫秒） | 失败 |",
            "| ---: | ---: | ---: | ---: | ---: |",
        ]
        counts = sorted({s["users"] for run in capacity for s in run["steps"]})
        for users in counts:
            steps = [s for run in capacity for s in run["steps"] if s["users"] == users]
            lines.append(
                f"| {users} | {_fmt([s['total']['rps'] for s in steps], 1)} | "
                f"{_fmt([s['total']['p50_ms'] for s in steps])} | {_fmt([s['total']['p95_ms'] for s in steps])} | "
                f"{_fmt([s['total']['failures'] for s in steps])} |"
            )
        best = [run["best_rps"] for run in capacity]
        lines += ["", f"p95 ≤ {P95_LIMIT_MS} 毫秒时的最高吞吐量：{_fmt(best, 1)} 请求/秒。"]
    runs = [("场景", run) for run in scenarios] + [
        (f"容量 {step['users']} 用户", step) for run in capacity for step in run["steps"]
    ]
    runs = [(label, run) for label, run in runs if run.get("cpu_s")]
    if runs:
        lines += [
            "",
            f"CPU 的去向（占整台机器 {m['cpus']} 个核在该次运行中的时间的比例；每请求为网站、数据库和后台任务三者合计的"
            "CPU 毫秒，按吞吐量折算，含登录）：",
            "",
            "| 运行 | 网站（gunicorn） | PostgreSQL | 后台任务 | 压测工具（locust） | 其他 | 空闲 | 每请求 CPU（毫秒） |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for label, run in runs:
            lines.append(_cpu_row(label, run, m["cpus"]))
    lines += ["", f"命令：`{result['command']}`"]
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DB)
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn processes (README: 2 × cores + 1)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=10, help="the scenario run after the ramp-up")
    parser.add_argument(
        "--ramp-up", type=int, default=300, help="seconds over which the 420 users join (each signs in)"
    )
    parser.add_argument("--capacity-users", default="2,4,6,8,12,16,24", help="the steps of the capacity run")
    parser.add_argument("--step-minutes", type=float, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=["scenario", "capacity"], help="run only one of the two")
    parser.add_argument("--skip-prepare", action="store_true", help="the accounts file exists already")
    parser.add_argument(
        "--fresh-copy",
        action="store_true",
        help="run each repetition against a fresh copy of the database (dropped after it), not the database itself",
    )
    parser.add_argument("--smoke", action="store_true", help="few users, two minutes, no capacity run")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    need_tools()

    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%d-%H%M%S") + ("-smoke" if args.smoke else "")
    work = args.out / stamp
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": args.database_url, "PYTHONUNBUFFERED": "1"}
    accounts = work / "accounts.json"
    env["LOAD_ACCOUNTS"] = str(accounts)
    result: dict = {
        "date": started.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "workers": args.workers,
        "threads": args.threads,
        "repeat": args.repeat,
        "command": " ".join([Path(sys.argv[0]).as_posix(), *(argv if argv is not None else sys.argv[1:])]),
        "scenario_runs": [],
        "capacity_runs": [],
    }
    if args.skip_prepare and (HERE / "accounts.json").exists():
        shutil.copy(HERE / "accounts.json", accounts)
    else:
        print("准备压测账号 …", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "prepare.py"), "--out", str(accounts)], env=env, cwd=ROOT, check=True
        )
        shutil.copy(accounts, HERE / "accounts.json")  # for a later --skip-prepare (not in the repository)

    for i in range(args.repeat):
        run_env = dict(env)
        copy = ""
        if args.fresh_copy:
            copy = fresh_copy(args.database_url)
            run_env["DATABASE_URL"] = copy
            print(f"运行 {i + 1}/{args.repeat}：数据库副本 {urlsplit(copy).path.lstrip('/')}", flush=True)
        stack = Stack(run_env, args.port, args.workers, args.threads, work)
        print(f"启动 gunicorn（{args.workers} 个进程 × {args.threads} 个线程）和后台任务进程 …", flush=True)
        try:
            stack.start()
            if args.only != "capacity":
                result["scenario_runs"].append(scenario(args, stack, run_env, work, i))
            if args.only != "scenario" and not args.smoke:
                result["capacity_runs"].append(capacity(args, stack, run_env, work, i))
        finally:
            stack.stop()
            result.setdefault("gc_runs", []).append(stack.collections())
            if copy:
                drop_database(copy)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stamp}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    table = markdown(result)
    (args.out / f"{stamp}.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"结果：{args.out / stamp}.json、{args.out / stamp}.md（各次 locust 的 CSV 和日志在 {work}/）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
