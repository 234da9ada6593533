"""A long-lived process's own memory: how much it holds (`resident_mb`) and giving back what its freed objects held
(`release_memory`), for the task worker (`dangjian worker`) and the gunicorn workers (deploy/gunicorn.conf.py), which
both do so before being replaced past their memory limit. Nothing here needs Django's settings: gunicorn's
configuration imports it."""

from __future__ import annotations

import ctypes
import gc
import os


def resident_mb() -> float:
    """This process's resident memory in MB (Linux; 0 elsewhere: no replacement then)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def release_memory() -> float:
    """Gives back to the system what this process's freed objects held (a full collection, then glibc's
    `malloc_trim`; nothing to trim with another C library); its resident memory in MB after. Python keeps the memory of
    a large request or task after it (its allocator's arenas, the C library's heap): a 工委's export leaves a process
    about 300 MB, of which it keeps about 150 once trimmed."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return resident_mb()
