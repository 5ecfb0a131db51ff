"""What the toy model must show, measured on a held-out benchmark (``gazefusion demo``, the model card).

The benchmark uses built-in smaps that training never saw (training smaps are saliency maps of
synthetic scenes; these are authored blobs) and prompts naming held-out (colour, shape) pairs
(:func:`gazefusion.data.synthetic.held_out_prompts`), scored by several classical saliency models,
one of them (spectral residual) the model that made the training smaps and the others not.

:func:`toy_effects` turns the benchmark's result table into the numbers the model card reports:

- aligned-minus-shuffled CC per scorer (mean, 95 % CI) at control scale 1;
- GazeFusion-minus-baseline (control scale 0) CC, NSS and AUC-Judd per scorer;
- the dose-response: mean aligned CC at control scales 0 (baseline), 0.5, 1, 1.5;
- attention suppression: the share of predicted saliency inside the suppressed region of the
  suppression smaps, GazeFusion vs baseline (paired by prompt and seed).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gazefusion.progress import NO_PROGRESS, Progress

#: Held-out built-in smaps whose alignment is measured (blobs at 9 positions, two blobs, the originals').
EFFECT_SMAPS = (
    "blob_left",
    "blob_right",
    "blob_top",
    "blob_bottom",
    "blob_center",
    "blob_top_left",
    "blob_top_right",
    "blob_bottom_left",
    "blob_bottom_right",
    "two_blobs",
    "smap1",
    "smap2",
)
#: Built-in suppression smaps (uniform attention with a region set to 0).
SUPPRESSION_SMAPS = ("suppress_center", "suppress_bottom")
#: Scorers: the training smaps' model and two that did not make them.
EFFECT_SCORERS = ("spectral-residual", "itti-koch", "fine-grained")
#: Control scales of the dose-response (the first is the main condition; 0 is the baseline).
CONTROL_SCALES = (1.0, 0.5, 1.5)
#: The issue's thresholds, checked by :func:`check_thresholds`.
THRESHOLDS = {"gap_cc": 0.2, "versus_cc": 0.15}
#: A suppression smap's region: pixels below this value of the (peak-1) map.
SUPPRESSED_BELOW = 0.5


#: Bench settings of the held-out benchmark (``gazefusion demo`` and the model card).
BENCH_STEPS = 25
BENCH_GUIDANCE = 5.0
BENCH_SIZE = 64


def run_toy_bench(
    bench_dir: str | os.PathLike,
    prompts: str | os.PathLike,
    *,
    model: str | None = None,
    steps: int = BENCH_STEPS,
    guidance_scale: float = BENCH_GUIDANCE,
    size: int = BENCH_SIZE,
    progress: Progress = NO_PROGRESS,
    log=print,
):
    """Run (or resume) the held-out benchmark: ``prompts`` x :data:`EFFECT_SMAPS` + suppression smaps x seed 0.

    ``progress`` gets :func:`~gazefusion.bench.benchmark.run_benchmark`'s ``bench`` task."""
    from gazefusion.bench.benchmark import BenchOptions, run_benchmark
    from gazefusion.saliency import available_saliency_models

    usable = set(available_saliency_models(usable_only=True))
    options = BenchOptions(
        prompts=prompts,
        smaps=[*EFFECT_SMAPS, *SUPPRESSION_SMAPS],
        seeds=(0,),
        model=model,
        scorers=[s for s in EFFECT_SCORERS if s in usable],
        control_scales=CONTROL_SCALES,
        steps=steps,
        guidance_scale=guidance_scale,
        size=(size, size),
    )
    return run_benchmark(bench_dir, options, progress=progress, log=log)


def scorer_ceiling(
    world_seed: int,
    smap_model: str,
    smap_options: dict[str, Any],
    *,
    first_index: int,
    n: int = 64,
    size: int = 64,
    scorers: Sequence[str] = EFFECT_SCORERS,
) -> dict[str, float]:
    """Mean CC between each scorer's prediction on real scenes and their training-style smaps.

    The scenes are ``first_index .. first_index + n - 1`` of the world (pass the number of training
    scenes: these were never trained on). This is what a generator that made perfect scenes for its
    smaps could reach with that scorer — the ceiling beside each measured CC.
    """
    from gazefusion.data.synthetic import make_scene
    from gazefusion.saliency import get_saliency_model
    from metrics import cc

    images = [make_scene(world_seed, first_index + k, size).image for k in range(n)]
    targets = get_saliency_model(smap_model, **smap_options).predict(images)
    ceiling = {}
    for name in scorers:
        predictions = get_saliency_model(name).predict(images)
        ceiling[name] = float(np.mean([cc(p, t) for p, t in zip(predictions, targets, strict=True)]))
    return ceiling


def _ci_dict(row) -> dict[str, float]:
    return {
        "mean": float(row["mean_diff"]),
        "ci_low": float(row["ci_low"]),
        "ci_high": float(row["ci_high"]),
        "p": float(row["p_t"]),
        "n": int(row["n"]),
    }


def toy_effects(df, bench_dir: str | os.PathLike, main_scale: float = 1.0) -> dict[str, Any]:
    """The effect numbers of a toy benchmark's result table (see the module docstring)."""

    from analysis.bench_report import paired_tables

    bench = Path(bench_dir)
    effect = df[df["smap"].isin(EFFECT_SMAPS)]
    versus, gap = paired_tables(effect, main_scale)
    out: dict[str, Any] = {"scorers": {}, "n_prompts": int(df["prompt_id"].nunique())}
    for scorer in sorted(effect["scorer"].unique()):
        entry: dict[str, Any] = {}
        g = gap[(gap["scorer"] == scorer) & (gap["metric"] == "cc")]
        if len(g):
            entry["gap_cc"] = _ci_dict(g.iloc[0])
        for metric in ("cc", "nss", "auc_judd"):
            v = versus[(versus["scorer"] == scorer) & (versus["metric"] == metric)]
            if len(v):
                entry[f"versus_{metric}"] = _ci_dict(v.iloc[0])
        aligned = effect[
            (effect["scorer"] == scorer) & (effect["metric"] == "cc") & (effect["target"] == "aligned")
        ]
        dose = {"0": float(aligned.loc[aligned["condition"] == "baseline", "value"].mean())}
        for scale in sorted(aligned.loc[aligned["condition"] == "gazefusion", "control_scale"].unique()):
            rows = aligned[(aligned["condition"] == "gazefusion") & (aligned["control_scale"] == scale)]
            dose[f"{scale:g}"] = float(rows["value"].mean())
        entry["dose_cc"] = dose
        values = [dose[k] for k in sorted(dose, key=float)]
        entry["dose_monotone"] = bool(all(b > a for a, b in zip(values, values[1:], strict=False)))
        out["scorers"][scorer] = entry
    out["suppression"] = suppression_effect(df, bench, main_scale)
    return out


def _inside_share(prediction: np.ndarray, region: np.ndarray) -> float:
    total = float(prediction.sum())
    return float(prediction[region].sum() / total) if total > 0 else float("nan")


def suppression_effect(df, bench_dir: Path, main_scale: float = 1.0) -> dict[str, Any]:
    """Share of each scorer's predicted saliency inside the suppressed region: GazeFusion vs baseline.

    The region is where the suppression smap (as the model received it, ``smaps/ID.png`` of the
    bench) is below :data:`SUPPRESSED_BELOW`. Pairs: (prompt, seed, smap); the baseline image of a
    prompt and seed is the same for every smap.
    """
    from analysis.stats import paired_test
    from gazefusion.utils.images import read_gray

    sub = df[df["smap"].isin(SUPPRESSION_SMAPS) & (df["metric"] == "cc") & (df["target"] == "aligned")]
    result: dict[str, Any] = {}
    for scorer in sorted(sub["scorer"].unique()):
        rows = sub[sub["scorer"] == scorer]
        gf = rows[(rows["condition"] == "gazefusion") & (rows["control_scale"] == main_scale)]
        base = rows[rows["condition"] == "baseline"].set_index(["prompt_id", "seed", "smap"])
        a, b = [], []
        for r in gf.itertuples():
            key = (r.prompt_id, r.seed, r.smap)
            if key not in base.index:
                continue
            region = read_gray(bench_dir / "smaps" / f"{r.smap}.png") < SUPPRESSED_BELOW
            a.append(_inside_share(read_gray(bench_dir / r.prediction), region))
            b.append(_inside_share(read_gray(bench_dir / base.loc[key, "prediction"]), region))
        if not a:
            continue
        test = paired_test(np.asarray(a), np.asarray(b))
        result[scorer] = {
            "gazefusion_inside": float(np.nanmean(a)),
            "baseline_inside": float(np.nanmean(b)),
            "mean_diff": float(test.mean_diff),
            "ci_low": float(test.ci_low),
            "ci_high": float(test.ci_high),
            "p": float(test.p_t),
            "n": int(test.n),
        }
    return result


def check_thresholds(effects: dict[str, Any], scorers: Sequence[str] | None = None) -> list[str]:
    """The issue's acceptance checks that fail (empty when every one holds)."""
    failures = []
    for scorer, e in effects["scorers"].items():
        if scorers is not None and scorer not in scorers:
            continue
        gap = e.get("gap_cc")
        if gap is None or gap["mean"] < THRESHOLDS["gap_cc"] or gap["ci_low"] <= 0:
            failures.append(
                f"{scorer}: aligned-minus-shuffled CC {gap and round(gap['mean'], 3)} (CI low {gap and round(gap['ci_low'], 3)})"
            )
        v = e.get("versus_cc")
        if v is None or v["mean"] < THRESHOLDS["versus_cc"] or v["ci_low"] <= 0:
            failures.append(
                f"{scorer}: GazeFusion-minus-baseline CC {v and round(v['mean'], 3)} (CI low {v and round(v['ci_low'], 3)})"
            )
        for metric in ("nss", "auc_judd"):
            m = e.get(f"versus_{metric}")
            if m is None or m["mean"] <= 0:
                failures.append(
                    f"{scorer}: GazeFusion-minus-baseline {metric} {m and round(m['mean'], 3)} not positive"
                )
        if not e.get("dose_monotone"):
            failures.append(f"{scorer}: dose-response not monotone {e.get('dose_cc')}")
    for scorer, s in effects.get("suppression", {}).items():
        if scorers is not None and scorer not in scorers:
            continue
        if not s["mean_diff"] < 0:
            failures.append(
                f"{scorer}: suppressed-region saliency not lower than baseline ({s['mean_diff']:.3f})"
            )
    return failures


def effects_markdown(effects: dict[str, Any]) -> str:
    """The effect numbers as Markdown tables (model card, demo output)."""
    lines = [
        "| scorer | aligned − shuffled CC [95% CI] | GazeFusion − baseline CC [95% CI] | Δ NSS | Δ AUC-Judd | mean CC at control 0 / 0.5 / 1 / 1.5 |",
        "|---|---|---|---|---|---|",
    ]

    def fmt(e):
        return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]" if e else "n/a"

    for scorer, e in effects["scorers"].items():
        dose = " / ".join(f"{e['dose_cc'][k]:.3f}" for k in sorted(e["dose_cc"], key=float))
        lines.append(
            f"| {scorer} | {fmt(e.get('gap_cc'))} | {fmt(e.get('versus_cc'))} | "
            f"{e.get('versus_nss', {}).get('mean', float('nan')):.3f} | "
            f"{e.get('versus_auc_judd', {}).get('mean', float('nan')):.3f} | {dose} |"
        )
    if effects.get("suppression"):
        lines += [
            "",
            "Attention suppression (share of predicted saliency inside the suppressed region):",
            "",
            "| scorer | GazeFusion | baseline | difference [95% CI] |",
            "|---|---|---|---|",
        ]
        for scorer, s in effects["suppression"].items():
            lines.append(
                f"| {scorer} | {s['gazefusion_inside']:.3f} | {s['baseline_inside']:.3f} | "
                f"{s['mean_diff']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}] |"
            )
    return "\n".join(lines) + "\n"
