"""Shared set-up for the benchmarks: Django on a benchmark database, progress, JSON out."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    # One client asks thousands of times a minute here: the per-address limits of the
    # public endpoints would measure themselves, not the work.
    os.environ.setdefault("RATE_LIMITS", "off")
    if not os.environ.get("DATABASE_URL"):
        (ROOT / "bench" / "var").mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("SQLITE_PATH", str(ROOT / "bench" / "var" / "bench.sqlite3"))
    import django

    django.setup()


def progress(done: int, total: int, label: str) -> None:
    # Redraw only when the bar moves, so a log file stays short.
    if done != total and (done * 40 // total) == ((done - 1) * 40 // total):
        return
    filled = done * 40 // total
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (40 - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(fn: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def summary(times_s: list[float]) -> dict[str, float]:
    return {"runs": len(times_s), "p50_s": round(statistics.median(times_s), 3),
            "max_s": round(max(times_s), 3)}


def write(name: str, report: dict[str, Any]) -> Path:
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report), "->", out)
    return out


def start_gunicorn(app: str, *, port: int, workers: int, env: dict[str, str],
                   cwd: Path) -> Any:
    """gunicorn on loopback with sync workers, as in production; answers once /healthz does."""
    import subprocess

    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), app, "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=cwd, env=env, start_new_session=True)
    sys.path.insert(0, str(ROOT))
    from tests.servers import healthy_within

    if healthy_within(port, 30):
        return process
    process.kill()
    raise SystemExit(f"{app} did not start")


def stop_gunicorn(process: Any) -> None:
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def raw_rate(writers: int, seconds: float) -> float:
    """Single-row INSERT transactions per second, straight through the driver."""
    import threading

    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, v "
                       "INTEGER)" if connection.vendor == "sqlite" else
                       "CREATE TABLE IF NOT EXISTS bench_raw (id SERIAL PRIMARY KEY, v INT)")
    counts = [0] * writers
    stop = time.perf_counter() + seconds

    def writer(index: int) -> None:
        conn = connections.create_connection("default")
        conn.ensure_connection()
        raw = conn.connection
        cursor = raw.cursor()
        while time.perf_counter() < stop:
            if conn.vendor == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("INSERT INTO bench_raw (v) VALUES (?)", (index,))
                cursor.execute("COMMIT")
            else:
                cursor.execute("INSERT INTO bench_raw (v) VALUES (%s)", (index,))
                raw.commit()
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds
