"""The PostgreSQL settings the benchmarks run with: those documented for production in
deploy/postgresql.conf.example (docs/deployment.md).

`apply()` puts the per-session ones (work_mem, random_page_cost, …) into PGOPTIONS, which libpq reads at every
connection: the benchmark's own connections and those of the `dangjian` commands it starts (they inherit the
environment) run with exactly the documented values, whatever the server's defaults. The server-wide ones
(shared_buffers, max_connections, autovacuum) cannot be set by a client: `report()` prints them as the
server has them next to the documented values, so a benchmark's output says what it ran with.

    from pgsettings import apply, report
    apply()                    # before the first connection
    report(database_url)       # prints the table
"""

from __future__ import annotations

import os
import re
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "deploy" / "postgresql.conf.example"
_LINE = re.compile(r"^\s*([a-z_]+)\s*=\s*(\S+)")


def documented() -> dict[str, tuple[str, bool]]:
    """{name: (value, per_session)} in the order of the file; per_session for those in its per-session part."""
    settings: dict[str, tuple[str, bool]] = {}
    per_session = False
    for line in CONF.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ----"):
            per_session = "per session" in line
        match = _LINE.match(line)
        if match:
            settings[match.group(1)] = (match.group(2), per_session)
    return settings


def session_options() -> str:
    return " ".join(f"-c {name}={value}" for name, (value, session) in documented().items() if session)


def apply(environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Adds the documented per-session settings to PGOPTIONS (after any given: ours win)."""
    environ["PGOPTIONS"] = " ".join(filter(None, [environ.get("PGOPTIONS", ""), session_options()]))


def in_effect(url: str) -> list[tuple[str, str, str, bool]]:
    """(name, documented, in effect on a connection opened now, per_session) for each documented setting."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    conninfo = urlunsplit(urlsplit(url)._replace(scheme="postgresql"))
    rows = []
    with psycopg.connect(conninfo) as conn:
        for name, (value, session) in documented().items():
            rows.append((name, value, conn.execute(f"SHOW {name}").fetchone()[0], session))
    return rows


def report(url: str) -> list[tuple[str, str, str, bool]]:
    rows = in_effect(url)
    print(
        "PostgreSQL 设置（deploy/postgresql.conf.example；会话级由 PGOPTIONS 设定，服务器级为该服务器的实际值）："
    )
    for name, value, actual, session in rows:
        note = "" if value.lower() == actual.lower() else f"  ≠ 文档 {value}"
        print(f"  {name:<26} {actual:<8} {'会话' if session else '服务器'}{note}")
    return rows
