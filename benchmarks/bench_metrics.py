"""Speed of the saliency metrics against pysaliency 0.2.22 and the memory-bandwidth floor.

Two workloads, as issue 3 asks:

1. one 1080x1920 float64 map with 50 fixations: each metric (median of repeats), the closest
   pysaliency function in the same run, and one ``numpy.sum`` over the map (a single read pass:
   "read passes" = metric time / that time);
2. a batch of 1,000 maps of 480x640 (float32 in memory, 1.2 GB per stack) with 50 fixations each:
   each metric on the whole batch, pysaliency on ``--pysaliency-maps`` of them (scaled to 1,000).

pysaliency counterparts (same convention or the closest one): CC -> ``CC``, KLD -> ``MIT_KLDiv``,
SIM -> ``SIM``, NSS -> ``NSS``; AUC-Judd -> ``roc.general_roc(fixated, other pixels, judd=1)``;
AUC-Borji / shuffled -> ``general_roc`` on 100 splits of sampled negatives; information gain and
EMD have none. Prints a Markdown table, and EMD's time split into the 1/32 shrink (the part
that reads the maps) and the optimal-transport solve on the shrunk grid.

Also: the same metrics on float32 copies of the maps (speed-up over float64, largest difference),
the NumPy reference path (``metrics._compiled.backend("numpy")``) next to the compiled one, and
the first-call compile time of the compiled kernels in fresh processes, with an empty disk cache
and then with the cache it left (``--compile-time``; numba only).

Usage: .venv/bin/python benchmarks/bench_metrics.py [--repeats 5] [--batch 1000] [--pysaliency-maps 100]
       [--no-compile-time]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch
from _common import median_seconds

import metrics
from metrics import _compiled

N_FIX = 50


def _smooth_maps(n: int, h: int, w: int, seed: int) -> np.ndarray:
    """Smooth random maps in [0, 1] (float32), made by bicubic enlargement of coarse noise."""
    g = torch.Generator().manual_seed(seed)
    out = np.empty((n, h, w), dtype=np.float32)
    for s in range(0, n, 50):
        k = min(50, n - s)
        coarse = torch.rand(k, 1, 12, 16, generator=g)
        up = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)
        up = up - up.amin(dim=(2, 3), keepdim=True)
        out[s : s + k] = (up / up.amax(dim=(2, 3), keepdim=True)).squeeze(1).numpy()
    return out


def _fixations(n: int, h: int, w: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.column_stack([rng.random(N_FIX) * w, rng.random(N_FIX) * h]) for _ in range(n)]


def _pysaliency_calls(pred: np.ndarray, dens: np.ndarray, pts: np.ndarray, other_pix: np.ndarray):
    import pysaliency.metrics as pm
    from pysaliency.roc import general_roc

    h, w = pred.shape
    xs, ys = pts[:, 0].astype(int), pts[:, 1].astype(int)
    fixmask = np.zeros((h, w), dtype=bool)
    fixmask[ys, xs] = True
    rng = np.random.default_rng(0)

    def sampled(neg_pixels: np.ndarray) -> float:
        pos = pred[ys, xs].astype(float)
        flat = pred.reshape(-1).astype(float)
        return float(np.mean([general_roc(pos, flat[rng.choice(neg_pixels, N_FIX)])[0] for _ in range(100)]))

    return {
        "cc": lambda: pm.CC(pred, dens),
        "kld": lambda: pm.MIT_KLDiv(pred, dens),
        "sim": lambda: pm.SIM(pred, dens),
        "nss": lambda: np.mean(pm.NSS(pred, xs, ys)),
        "auc_judd": lambda: general_roc(pred[fixmask].astype(float), pred[~fixmask].astype(float), judd=1)[0],
        "auc_borji": lambda: sampled(np.arange(h * w)),
        "auc_shuffled": lambda: sampled(other_pix),
    }


def _our_calls(pred, dens, fix, other) -> dict[str, Callable[[], object]]:
    return {
        "cc": lambda: metrics.cc(pred, dens),
        "kld": lambda: metrics.kld(pred, dens),
        "sim": lambda: metrics.sim(pred, dens),
        "nss": lambda: metrics.nss(pred, fix),
        "auc_judd": lambda: metrics.auc_judd(pred, fix),
        "auc_borji": lambda: metrics.auc_borji(pred, fix),
        "auc_shuffled": lambda: metrics.auc_shuffled(pred, fix, other=other),
        "information_gain": lambda: metrics.information_gain(pred, fix),
        "emd": lambda: metrics.emd(pred, dens),
    }


def single_map(repeats: int) -> list[dict]:
    h, w = 1080, 1920
    pred = _smooth_maps(1, h, w, 1)[0].astype(np.float64)
    dens = _smooth_maps(1, h, w, 2)[0].astype(np.float64)
    pts = _fixations(1, h, w, 3)[0]
    other_pts = np.concatenate(_fixations(10, h, w, 4))
    other = metrics.fixations_to_map(other_pts, (h, w)) > 0
    floor = median_seconds(lambda: np.sum(pred), repeats * 4)
    ours = _our_calls(pred, dens, pts, other)
    ours32 = _our_calls(pred.astype(np.float32), dens.astype(np.float32), pts, other)
    theirs = _pysaliency_calls(pred, dens, pts, np.flatnonzero(other))
    rows = []
    for name, fn in ours.items():
        # millisecond calls: 4x the repeats (their medians move with the machine's load); a
        # median of pysaliency's calls over the full repeats, too (two runs differed by 2x)
        reps = 4 * repeats if name != "emd" else max(1, repeats // 2)
        t = median_seconds(fn, reps)
        t32 = median_seconds(ours32[name], reps)
        diff = abs(float(ours32[name]()) - float(fn()))
        with _compiled.backend("numpy"):
            tn = median_seconds(fn, max(1, repeats // 2))
        tp = median_seconds(theirs[name], repeats) if name in theirs else None
        rows.append(
            {
                "metric": name,
                "ours_ms": 1e3 * t,
                "pys_ms": None if tp is None else 1e3 * tp,
                "passes": t / floor,
                "f32_up": t / t32,
                "f32_diff": diff,
                "numpy_ms": 1e3 * tn,
            }
        )
    rows.append({"metric": "numpy.sum (1 read pass)", "ours_ms": 1e3 * floor, "pys_ms": None, "passes": 1.0})
    shrink = median_seconds(lambda: _emd_shrink(pred, dens), repeats)
    rows.append(
        {"metric": "emd: 1/32 shrink part", "ours_ms": 1e3 * shrink, "pys_ms": None, "passes": shrink / floor}
    )
    solve = rows[[r["metric"] for r in rows].index("emd")]["ours_ms"] - 1e3 * shrink
    rows.append(
        {"metric": "emd: solver part (emd - shrink)", "ours_ms": solve, "pys_ms": None, "passes": None}
    )
    return rows


def _emd_shrink(pred: np.ndarray, dens: np.ndarray) -> None:
    """The part of :func:`metrics.emd` before the solve: both maps brought to the 1/32 grid."""
    from metrics._kernels import single_thread_blas

    with single_thread_blas():
        im1 = metrics.imresize(dens, scale=1 / 32)
        metrics.imresize(pred, output_shape=im1.shape[-2:])


def batch(n: int, pys_maps: int) -> list[dict]:
    h, w = 480, 640
    pred = _smooth_maps(n, h, w, 5)
    dens = _smooth_maps(n, h, w, 6) + np.float32(1e-3)
    pts = _fixations(n, h, w, 7)
    other = metrics.fixations_to_map(np.concatenate(_fixations(10, h, w, 8)), (h, w)) > 0
    ours = _our_calls(pred, dens, pts, other)
    rows = []
    for name, fn in ours.items():
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        t, cpu = time.perf_counter() - t0, time.process_time() - c0
        tp = None
        if pys_maps > 0 and name != "emd" and name != "information_gain":
            t1 = time.perf_counter()
            for i in range(pys_maps):
                _pysaliency_calls(
                    pred[i].astype(np.float64), dens[i].astype(np.float64), pts[i], np.flatnonzero(other)
                )[name]()
            tp = (time.perf_counter() - t1) * n / pys_maps
        rows.append({"metric": name, "ours_s": t, "ours_cpu_s": cpu, "pys_s": tp})
    from metrics._batching import CHUNK_BYTES

    per = max(1, CHUNK_BYTES // (8 * h * w))  # in the metric's chunks, as emd() itself shrinks
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(0, n, per):
        _emd_shrink(pred[s : s + per], dens[s : s + per])
    rows.append(
        {
            "metric": "emd: 1/32 shrink part",
            "ours_s": time.perf_counter() - t0,
            "ours_cpu_s": time.process_time() - c0,
            "pys_s": None,
            "part": True,
        }
    )
    return rows


_COMPILE_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import bench_metrics as b
t0 = time.perf_counter()
import metrics
t_import = time.perf_counter() - t0
h, w = 60, 80
for dtype in (np.float64, np.float32):
    pred, dens = b._smooth_maps(1, h, w, 1)[0].astype(dtype), b._smooth_maps(1, h, w, 2)[0].astype(dtype)
    other = metrics.fixations_to_map(np.concatenate(b._fixations(3, h, w, 4)), (h, w)) > 0
    for name, fn in b._our_calls(pred, dens, b._fixations(1, h, w, 3)[0], other).items():
        t0 = time.perf_counter()
        fn()
        print(dtype.__name__, name, time.perf_counter() - t0, flush=True)
print("import", t_import)
"""


def compile_times() -> dict[str, tuple[float, float]]:
    """First-call seconds of every metric (float64 then float32 maps) in a fresh process with an
    empty numba cache folder, and in a second one that finds the cache the first one wrote."""
    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            run = subprocess.run(
                [sys.executable, "-c", _COMPILE_SCRIPT, os.path.dirname(os.path.abspath(__file__))],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            for line in run.stdout.splitlines():
                *key, sec = line.split()
                out.setdefault(" ".join(key), []).append(float(sec))
    return {k: (v[0], v[1]) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument(
        "--pysaliency-maps",
        type=int,
        default=100,
        help="maps of the batch that pysaliency scores (its time is scaled to the batch)",
    )
    ap.add_argument(
        "--no-compile-time", action="store_true", help="skip the first-call compile-time measurement"
    )
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}; metrics backend: {_compiled.active()}")
    print(f"(load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if not args.no_compile_time and _compiled.active() == "numba":
        print("\n### First call (compile) in a fresh process: empty numba cache / cache on disk (s)\n")
        print("| call | empty cache | cached |\n|---|---:|---:|")
        times = compile_times()
        for key, (cold, warm) in times.items():
            print(f"| {key} | {cold:.2f} | {warm:.2f} |")
        calls = [v for k, v in times.items() if k != "import"]
        print(
            f"| **all first calls** | **{sum(c for c, _ in calls):.1f}** | **{sum(w for _, w in calls):.1f}** |"
        )
    print("\n### One 1080x1920 map, 50 fixations (median)\n")
    print(
        "| metric | ours (ms) | pysaliency (ms) | speed-up | read passes | float32 speed-up | float32 diff "
        "| NumPy path (ms) |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in single_map(args.repeats):
        pys = "n/a" if r["pys_ms"] is None else f"{r['pys_ms']:.1f}"
        up = "" if r["pys_ms"] is None else f"{r['pys_ms'] / r['ours_ms']:.1f}x"
        passes = "" if r["passes"] is None else f"{r['passes']:.1f}"
        f32 = f"{r['f32_up']:.2f}x | {r['f32_diff']:.1e} | {r['numpy_ms']:.1f}" if "f32_up" in r else " | |"
        print(f"| {r['metric']} | {r['ours_ms']:.1f} | {pys} | {up} | {passes} | {f32} |")
    print(f"\n### Batch of {args.batch} maps of 480x640, 50 fixations each (one call per metric)\n")
    print(
        "| metric | ours (s) | ours (CPU s) | pysaliency (s, scaled) | speed-up |\n|---|---:|---:|---:|---:|"
    )
    total = total_cpu = 0.0
    for r in batch(args.batch, args.pysaliency_maps):
        if not r.get("part"):
            total += r["ours_s"]
            total_cpu += r["ours_cpu_s"]
        pys = "n/a" if r["pys_s"] is None else f"{r['pys_s']:.1f}"
        up = "" if r["pys_s"] is None else f"{r['pys_s'] / r['ours_s']:.1f}x"
        print(f"| {r['metric']} | {r['ours_s']:.2f} | {r['ours_cpu_s']:.2f} | {pys} | {up} |")
    print(f"| **all metrics** | **{total:.1f}** | **{total_cpu:.1f}** | | |")
    print(f"\n(load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
