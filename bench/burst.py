"""A burst at ten times the sustainable rate: is every request answered within a second, and is anything stored
after its client gave up?

The sustainable rate is measured first, in the same run (closed loop, as bench/intake.py does). Then a separate
process offers requests open-loop at ten times that rate for a few seconds (or as fast as it can, which it
reports), each waiting at most one second for its answer, as an impatient site's backend would. Afterwards every
stored comment is matched, by a marker in its body, to the request that sent it. Loopback only, bounded in count
and time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from redis import Redis

from bench.intake import SECRET, _bodies, _load, _serve
from moderation.cli.redisproc import RedisServer, free_port
from moderation.signing import sign

LOADGEN = r'''
import asyncio, json, sys, time
port, rate, seconds, path = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
requests = json.load(open(path))
results = [None] * len(requests)

async def one(i, body, sig, due):
    head = (f"POST /v1/sites/demo/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Signature: {sig}\r\nContent-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n")
    started = due
    try:
        async def exchange():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + body.encode())
            line = await reader.readline()
            writer.close()
            return int(line.split()[1])
        status = await asyncio.wait_for(exchange(), max(0.001, due + 1.0 - time.monotonic()))
        took = time.monotonic() - started
        results[i] = ("answered", status, took) if took <= 1.0 else ("gave_up", None, took)
    except asyncio.TimeoutError:
        results[i] = ("gave_up", None, 1.0)
    except (OSError, IndexError, ValueError) as err:
        results[i] = ("error", f"{type(err).__name__}: {err}"[:60], time.monotonic() - started)

async def main():
    start, tasks = time.monotonic(), []
    for i, (body, sig) in enumerate(requests):
        due = start + i / rate
        if time.monotonic() > start + seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, body, sig, due)))
    offered_seconds = time.monotonic() - start
    await asyncio.gather(*tasks)
    print(json.dumps({"sent": len(tasks), "offered_per_second": len(tasks) / offered_seconds,
                      "results": results[:len(tasks)]}))

asyncio.run(main())
'''


def _burst(port: int, rate: float, seconds: float, n: int) -> dict[str, Any]:
    bodies = [json.dumps({"article": {"id": "burst", "url": "https://news.example/burst"},
                          "author": {"name": "Reader", "email": f"burst{i}@example.com"},
                          "body": f"burst-{i}-marker: the council's plan is unfair.",
                          "client": {"ip": f"10.{i // 62500 % 250}.{i // 250 % 250}.{i % 250}"}}).encode()
              for i in range(n)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([[b.decode(), sign(SECRET, b)] for b in bodies], f)
    out = subprocess.run([sys.executable, "-c", LOADGEN, str(port), str(rate), str(seconds), f.name],
                         capture_output=True, text=True, timeout=seconds + 120, check=True)
    os.unlink(f.name)
    got: dict[str, Any] = json.loads(out.stdout)
    return got


def _rate(got: dict[str, Any]) -> float:
    return sum(got["codes"].values()) / float(got["seconds"])


def run(seconds: float = 3.0, factor: float = float(os.environ.get("BENCH_BURST_FACTOR", "10"))) -> dict[str, Any]:
    """The burst row: the sustainable rate, the rate offered, the share answered within 1 s, their statuses, and how
    many comments were stored although their client had given up. Also, as the same run's baseline, the fastest
    this machine refuses: a server that answers every connection 503 unread, under the same closed-loop load."""
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis").start()
        env = {**os.environ, "REDIS_URL": redis.url, "MODERATION_SITES": f"demo:{SECRET}",
               "MODERATION_ADMIN_TOKEN": "bench" * 8, "MODERATION_LOG_LEVEL": "WARNING",
               "MODERATION_MAX_BACKLOG": "10000000"}
        port, refusing_port = free_port(), free_port()
        server = _serve("service.wsgi:app", port, env)
        refusing = _serve("service.wsgi:app", refusing_port, {**env, "MODERATION_SHED_QUEUE": "-1"})
        try:
            _load(port, _bodies(400), 400, 8, 30)
            sustainable = _rate(_load(port, _bodies(3000), 3000, 8, 3))
            refusal_capacity = _rate(_load(refusing_port, _bodies(3000), 3000, 8, 3))
            got = _burst(port, sustainable * factor, seconds, int(min(sustainable * factor * seconds, 60_000)))
            time.sleep(3)  # let the server finish what it had taken
            client = Redis.from_url(redis.url, decode_responses=True)
            stored = set()
            for key in client.scan_iter("mod:comment:*", count=1000):
                body = str(client.hget(key, "body") or "")
                if body.startswith("burst-"):
                    stored.add(int(body.split("-")[1]))
        finally:
            for proc in (server, refusing):
                proc.terminate()
                proc.wait(30)
            redis.stop()
    results = got["results"]
    answered = [r for r in results if r[0] == "answered"]
    gave_up = {i for i, r in enumerate(results) if r[0] != "answered"}
    codes: dict[str, int] = {}
    for r in answered:
        codes[str(r[1])] = codes.get(str(r[1]), 0) + 1
    late = sorted(r[2] for r in answered)
    errors = [str(r[1]) for r in results if r[0] == "error"]
    return {"sustainable_per_second": sustainable, "refusal_capacity_per_second": refusal_capacity,
            "factor": factor, "offered_per_second": got["offered_per_second"], "sent": got["sent"],
            "answered_within_1s": len(answered) / max(1, got["sent"]), "codes": codes,
            "answer_seconds_p50_p99": [late[len(late) // 2], late[int(len(late) * 0.99)]] if late else None,
            "client_gave_up": sum(1 for r in results if r[0] == "gave_up"),
            "errors": {e: errors.count(e) for e in set(errors)},
            "stored_after_give_up": len(stored & gave_up), "stored": len(stored)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
