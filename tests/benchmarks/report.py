"""What the benchmarks print: one JSON line per figure on stdout, details on stderr."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable


def log(msg: str) -> None:
    """A detail line (stderr), kept apart from the figures."""
    print(msg, file=sys.stderr, flush=True)


def emit(name: str, value: float, unit: str, baseline: float | None, **extra) -> None:
    """One figure: ``{"name", "value", "unit", "baseline", "ratio", **extra}`` (4 digits)."""
    rec = {
        "name": name,
        "value": sig(value),
        "unit": unit,
        "baseline": None if baseline is None else sig(baseline),
        "ratio": sig(value / baseline) if baseline else None,
        **extra,
    }
    print(json.dumps(rec), flush=True)


def sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    return float(f"{x:.{digits}g}")


def best_of(repeats: int, fn: Callable[[], object], *, enough_s: float = 3.0) -> float:
    """The fastest of up to ``repeats`` runs of ``fn``, in seconds; no more runs once
    ``enough_s`` seconds went in them (a run of seconds is far above its noise, and
    ``make bench`` has to stay within 15 minutes)."""
    times: list[float] = []
    while len(times) < max(1, repeats) and sum(times) < enough_s:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
