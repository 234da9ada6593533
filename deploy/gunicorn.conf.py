"""gunicorn settings for dangjian (`make serve`, deploy/dangjian-web.service):

    gunicorn -c deploy/gunicorn.conf.py

Processes and threads: WEB_CONCURRENCY worker processes (default 2 × cores + 1: 5 on the 2-core machine the
project is measured on) of GUNICORN_THREADS threads each (default 2). A page is mostly Python (templates, the
ORM), which one process runs on one core at a time (the GIL): processes, not threads, use both cores, and the
extra ones keep a core busy while another request waits for PostgreSQL. The second thread of a process serves
a quick page while the first builds a long one (an export, a city-wide report), instead of queueing it behind.
Each thread holds at most one database connection: DB_POOL_SIZE (settings.py) must be at least the threads,
and the processes × DB_POOL_SIZE, plus the task worker and the nightly refresh, below PostgreSQL's
max_connections (docs/deployment.md).

Memory: a process is replaced after GUNICORN_MAX_REQUESTS requests (with jitter, so they do not all restart
together), which bounds what a long-lived process accumulates. Python keeps the memory of a large request after it
(a 工委's whole roll or compliance table exported): when a process has grown past GUNICORN_MAX_WORKER_MB after a
request, it first gives back what its freed objects held (dangjian.core.memory.release_memory: a full collection and
the C library's `malloc_trim`) and goes on when that brings it under the limit; still above, it is replaced (a new
process starts at about 100 MB, with a Django start and cold caches).

The access log has the method, the path without its query string (a search may carry a 身份证号 or a name),
the status, the size and the time in milliseconds; every line goes through dangjian's personal-data
redaction like the application's own log.
"""

import multiprocessing
import os

from dangjian.core.memory import release_memory, resident_mb

wsgi_app = "dangjian.wsgi:application"
# A web process's connection pool is sized to its request threads: an evaluation in a request loads its facts in
# its own thread, not with a helper taking the connection another request is about to need (settings.FACT_THREADS;
# whatever the environment file sets for the task worker and the commands).
os.environ["FACT_THREADS"] = "1"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # the longest export at municipal scale, with room
graceful_timeout = 30
# One request per connection: a worker being replaced (below) closes the idle connections it holds, and a request
# sent on one at that moment fails (nginx passes a failed POST on as 502; a browser or script sees a reset). A new
# connection per request costs a fraction of a millisecond on the same machine, and never fails that way: a
# connection the old worker has not accepted waits in the listening socket for another one.
keepalive = 0
# A worker is replaced after this many requests: a large export (a 工委's whole roll or compliance table) raises
# a worker's memory, which Python keeps after it, and a new worker starts small. Not much fewer: on a 集中交纳日 a
# worker serves about 8 requests a second, and each replacement costs a Django start and cold caches (at 1,000 the
# load benchmark saw a replacement every two minutes; at 20,000 none, and a worker at 299 MB after two 工委 staff
# had exported for seven minutes).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
max_worker_mb = int(os.environ.get("GUNICORN_MAX_WORKER_MB", "250"))


# The garbage collector (dangjian.core.gcpolicy): a worker freezes the objects its start made, and once more those
# its first GUNICORN_GC_FREEZE_AFTER requests loaded (templates, catalogues), so that a full collection no longer
# walks them — about 100 ms that fell on whichever request it came in; 0 freezes at start only, -1 never (CPython's
# own behaviour). Each worker logs its collections (how many, how long) when it exits.
gc_freeze_after = int(os.environ.get("GUNICORN_GC_FREEZE_AFTER", "100"))
_gc = None  # this worker's policy (set after fork: each worker has its own)


def post_worker_init(worker):
    """The application is loaded in this worker: its objects are frozen, its collections watched."""
    global _gc
    from dangjian.core.gcpolicy import WebProcessGc

    _gc = WebProcessGc(gc_freeze_after)
    worker.log.info("Worker froze %d objects of its start", _gc.process_started())


def worker_exit(server, worker):
    if _gc is not None:
        worker.log.info("Worker garbage collector: %s", _gc.summary())


def post_request(worker, req, environ, resp):
    """The worker's policy of collection (above). A worker past GUNICORN_MAX_WORKER_MB gives its freed memory back and
    goes on when under the limit then; still above, it finishes the requests it holds and is replaced, as after
    max_requests."""
    if _gc is not None and (frozen := _gc.request_done()):
        worker.log.info("Worker froze %d objects after its first %d requests", frozen, gc_freeze_after)
    if not max_worker_mb or not worker.alive:
        return
    used = resident_mb()
    if used <= max_worker_mb:
        return
    after = release_memory()
    if after <= max_worker_mb:
        worker.log.info(
            "Worker memory %.0f MB was over %d MB: %.0f MB after giving freed memory back, going on",
            used,
            max_worker_mb,
            after,
        )
        return
    worker.log.info(
        "Worker memory %.0f MB is over %d MB (%.0f MB after giving freed memory back): replacing it after its requests",
        used,
        max_worker_mb,
        after,
    )
    worker.alive = False


# X-Forwarded-* are trusted from nginx on the same machine only (settings.BEHIND_TLS_PROXY reads them).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "dangjian-web"
control_socket_disable = True  # systemd manages the process (systemctl reload sends HUP)

accesslog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "dangjian.core.logging.RedactPersonalDataFilter"}},
    "formatters": {
        "plain": {
            "()": "dangjian.core.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S%z",  # the master logs in UTC, the workers in TIME_ZONE
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_pii"],
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
