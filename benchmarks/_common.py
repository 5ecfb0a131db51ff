"""Helpers shared by the benchmark scripts (run as ``.venv/bin/python benchmarks/<name>.py``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeats: int = 3) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` runs, after one untimed warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
