"""Intake throughput through gunicorn: signed, validated, stored and queued comments per second, against a bare
Flask endpoint that only parses the JSON, both under the same gunicorn settings and the same load generator; and,
served the same way, the floor the fixed choices set (bench/floor_app.py: the policy's marshmallow load and one
Redis round trip, nothing else), so that what the rest costs is measured, not guessed.

The load generator is a separate process (threads, one connection per request, as gunicorn's
sync workers close them), bounded in count and time, aimed at loopback only.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from moderation.cli.redisproc import RedisServer, free_port
from moderation.settings import Settings, gunicorn_command
from moderation.signing import sign

SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parents[1]


def _bodies(n: int) -> list[bytes]:
    return [json.dumps({"article": {"id": "a1", "url": "https://news.example/a1"},
                        "author": {"name": "Reader", "email": f"reader{i}@example.com"},
                        "body": f"Comment number {i}: the council's plan is unfair to families in the north.",
                        "client": {"ip": f"10.{i // 62500 % 250}.{i // 250 % 250}.{i % 250}"}}).encode()
            for i in range(n)]


LOADGEN = r'''
import http.client, json, sys, threading, time
port, n, threads, limit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
requests = json.load(open(sys.argv[5]))
lock, codes, next_i = threading.Lock(), {}, [0]
deadline = time.monotonic() + limit
def run():
    while time.monotonic() < deadline:
        with lock:
            i = next_i[0]; next_i[0] += 1
        if i >= n:
            return
        body, sig = requests[i % len(requests)]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/v1/sites/demo/comments", body=body.encode(),
                  headers={"Content-Type": "application/json", "X-Signature": sig})
        status = c.getresponse().status
        c.close()
        with lock:
            codes[status] = codes.get(status, 0) + 1
start = time.perf_counter()
ts = [threading.Thread(target=run) for _ in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps({"seconds": time.perf_counter() - start, "codes": codes}))
'''


def _serve(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Both apps exactly as `moderation api` serves ours (2 processes of 4 threads unless API_WORKERS/API_THREADS).
    proc = subprocess.Popen(gunicorn_command(app, f"127.0.0.1:{port}", Settings.load(env)), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
        except urllib.error.HTTPError:
            return proc  # it answers (404 is fine)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app} did not start")


def _load(port: int, bodies: list[bytes], n: int, threads: int, seconds: float) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([[b.decode(), sign(SECRET, b)] for b in bodies], f)
    out = subprocess.run([sys.executable, "-c", LOADGEN, str(port), str(n), str(threads), str(seconds), f.name],
                         capture_output=True, text=True, timeout=seconds + 60, check=True)
    os.unlink(f.name)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def _stat(proc: Path) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces): state, ppid, ..."""
    return proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process so far, from /proc (0 where there is none: not Linux, or gone)."""
    try:
        fields = _stat(Path(f"/proc/{pid}"))
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    """A gunicorn master and its workers."""
    tree = [pid]
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int(_stat(entry)[1]) == pid:
                tree.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return tree


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(n: int = 2000, threads: int = 8, seconds: float = 60, rounds: int = 5) -> dict[str, object]:
    """Requests per second for ours, the floor and the bare endpoint, in alternating rounds against the three
    servers started once; the median of each, since a shared machine slows one round now and then. Every answer
    must be a 202.

    Also where the CPU goes, per request and as medians: the API's processes, Redis and the load generator
    (Linux's /proc; these share the machine's cores, so what one spends the others cannot)."""
    bodies = _bodies(n)
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis").start()
        env = {**os.environ, "REDIS_URL": redis.url, "MODERATION_SITES": f"demo:{SECRET}",
               "MODERATION_ADMIN_TOKEN": "bench" * 8, "MODERATION_LOG_LEVEL": "WARNING"}
        apps = {"bare": "bench.bare_app:app", "floor": "bench.floor_app:app", "ours": "service.wsgi:app"}
        ports = {name: free_port() for name in apps}
        servers = {name: _serve(app, ports[name], env) for name, app in apps.items()}
        rates: dict[str, list[float]] = {name: [] for name in apps}
        redis_pid = redis.proc.pid if redis.proc else 0
        cpu: dict[str, dict[str, list[float]]] = {name: {"api": [], "redis": [], "load": []} for name in apps}
        try:
            for name in apps:
                _load(ports[name], bodies[:200], 200, threads, seconds)  # warm up both the same way
            for _ in range(rounds):
                for name in apps:
                    tree = _process_tree(servers[name].pid)
                    before = ([_cpu_seconds(p) for p in tree], _cpu_seconds(redis_pid), _children_cpu())
                    got = _load(ports[name], bodies, n, threads, seconds)
                    after = ([_cpu_seconds(p) for p in tree], _cpu_seconds(redis_pid), _children_cpu())
                    codes: dict[str, int] = got["codes"]  # type: ignore[assignment]  # JSON read back from the benchmark's subprocess
                    if set(codes) != {"202"}:
                        raise RuntimeError(f"{name} answered {codes}: only 202s count as accepted comments")
                    done = sum(codes.values())
                    rates[name].append(done / float(got["seconds"]))  # type: ignore[arg-type]  # JSON read back from the benchmark's subprocess
                    cpu[name]["api"].append((sum(after[0]) - sum(before[0])) / done * 1e6)
                    cpu[name]["redis"].append((after[1] - before[1]) / done * 1e6)
                    cpu[name]["load"].append((after[2] - before[2]) / done * 1e6)
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(30)
            redis.stop()
    per_second = {name: statistics.median(rates[name]) for name in apps}
    return {name: {"per_second": per_second[name], "rounds": rates[name],
                   "cpu_us_per_request": {part: statistics.median(v) for part, v in cpu[name].items()}}
            for name in apps} | {"ratio": per_second["ours"] / per_second["bare"],
                                 "floor_ratio": per_second["floor"] / per_second["bare"]}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
