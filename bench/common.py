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
