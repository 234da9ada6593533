"""dangjian.core.gcpolicy: a web process's objects frozen at start and once after its first requests, garbage
collected first (never frozen), and its collections counted. Run in a process of its own: a freeze is for the life
of the process, and this one runs the rest of the suite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc, json, weakref
    from dangjian.core.gcpolicy import WebProcessGc

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    out = {}
    policy = WebProcessGc(freeze_after=3)
    garbage = cycle()  # unreachable but alive until a collection
    kept = [Node() for _ in range(1000)]  # alive: frozen with the rest
    out["at_start"] = policy.process_started()
    out["garbage_frozen"] = garbage() is not None
    out["frozen_at_start"] = gc.get_freeze_count()
    kept.extend(Node() for _ in range(5000))  # what the first requests load
    out["requests"] = [policy.request_done() for _ in range(5)]
    out["frozen_after"] = gc.get_freeze_count()
    gc.collect()
    gc.collect()
    out["full_collections"] = policy.watch.count[2]
    out["summary"] = policy.summary()
    print(json.dumps(out))
    """
)


def test_a_web_process_freezes_at_start_and_once_after_its_first_requests():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    assert out["at_start"] > 1000 and out["frozen_at_start"] == out["at_start"]
    assert out["garbage_frozen"] is False  # collected before the freeze, not kept for the life of the process
    first, second, third, *later = out["requests"]
    assert first == second == 0 and third >= 5000 and later == [0, 0]  # the third request, and only it
    assert out["frozen_after"] >= out["frozen_at_start"] + 5000  # (less a frozen object or two freed since)
    assert out["full_collections"] >= 2 + 2  # two freezes' collections, then the two asked for
    assert out["summary"].startswith("5 requests, ") and "generation 2: " in out["summary"]


def test_the_freeze_after_requests_can_be_turned_off():
    script = SCRIPT.replace("WebProcessGc(freeze_after=3)", "WebProcessGc(freeze_after=0)")
    out = json.loads(
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    )
    assert out["requests"] == [0, 0, 0, 0, 0] and out["frozen_after"] == out["frozen_at_start"]


def test_a_negative_setting_freezes_nothing_and_still_counts():
    script = SCRIPT.replace("WebProcessGc(freeze_after=3)", "WebProcessGc(freeze_after=-1)")
    out = json.loads(
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    )
    assert out["at_start"] == 0 and out["frozen_after"] == 0 and out["requests"] == [0, 0, 0, 0, 0]
    assert out["full_collections"] >= 2
