"""The municipal database a page benchmark runs against, and its measuring process (kept.py, pages.py).

from municipal import prepare, measured
prepare(pg_url, reuse=args.reuse, env=env)   # seeded (or reused and migrated), static files collected
figures = measured(__file__, args.repeat, env)  # `<script> --measure --repeat N` in a fresh process: its JSON
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pgsettings

BIN = Path(sys.executable).parent


def prepare(pg_url: str, *, reuse: bool, env: dict) -> None:
    """Without `reuse`, the database is created anew and seeded at municipal scale (`dangjian seed --scale
    municipal --seed 1`, its first full refresh included); with it, the existing one is migrated (the schema and the
    kept results of this code). The static files are collected (the pages name the hashed copies of production's
    storage), and the PostgreSQL settings printed."""
    name = pg_url.rsplit("/", 1)[-1]
    if not reuse:
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run([BIN / "dangjian", "migrate", "--noinput", "-v", "0"], env=env, check=True)
    if not reuse:
        started = time.perf_counter()
        subprocess.run(
            [BIN / "dangjian", "seed", "--scale", "municipal", "--seed", "1"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(
            f"seeded {name} in {time.perf_counter() - started:.0f} s (with the first full refresh)",
            file=sys.stderr,
        )
    subprocess.run([BIN / "dangjian", "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
    pgsettings.report(pg_url)


def measured(script: str, repeat: int, env: dict) -> dict:
    """The figures `script --measure --repeat N` prints as its last line, run in a process of its own."""
    result = subprocess.run(
        [sys.executable, script, "--measure", "--repeat", str(repeat)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
