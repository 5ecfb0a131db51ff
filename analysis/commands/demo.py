"""``gazefusion demo``: the README's main job, a held-out benchmark that ends with its report.

With no ``--model`` (and no ``$GAZEFUSION_MODEL``) it runs ``gazefusion bench run`` on the built-in
toy GazeFusion (trained here on synthetic scenes): prompts naming (colour, shape) pairs held out of
training x the built-in smaps (training never saw them) x 1 seed at 64x64 px, control scales
0 (baseline), 0.5, 1 and 1.5, scored by three classical saliency models; then the report, and the
effect table of :mod:`analysis.toy_effects` (aligned − shuffled, GazeFusion − baseline,
dose-response, suppression). With ``--model`` it runs the small benchmark of 4 COCO-style prompts x
3 smaps on that model. Everything is offline; re-running resumes (finished items are skipped).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from analysis.toy_effects import BENCH_GUIDANCE, BENCH_STEPS  # the held-out benchmark's settings
from gazefusion.cli._common import RichProgress, console
from gazefusion.errors import UserInputError
from gazefusion.resources import asset_path

#: Classical scorers of the demo on other models (no weights); those not usable here are left out.
DEMO_SCORERS = ("spectral-residual", "fine-grained", "itti-koch", "centre-bias")
#: Built-in smaps of the demo on other models: the original's two look-alikes and a blob elsewhere.
DEMO_SMAPS = ("smap1", "smap2", "blob_top_left")
#: The demo's prompt set on other models (a packaged file: ``gazefusion/assets/prompts/``).
DEMO_PROMPTS = asset_path("prompts", "demo_4.txt")
#: The toy model folder's prompts naming held-out (colour, shape) pairs.
HELD_OUT_PROMPTS = "held_out_prompts.txt"


def demo(
    out: Path = typer.Option(
        Path("out/demo"), "--out", "-o", help="Output folder (bench results and report)."
    ),
    model: str = typer.Option(
        None,
        "--model",
        help="Model folder or checkpoint (default: $GAZEFUSION_MODEL if set, else the built-in toy GazeFusion).",
    ),
    steps: int = typer.Option(BENCH_STEPS, "--steps", help="DDIM steps."),
    guidance: float = typer.Option(BENCH_GUIDANCE, "--guidance", help="Classifier-free guidance scale."),
    size: int = typer.Option(
        64, "--size", help="Image side in pixels (multiple of 8; the toy model is made for 64)."
    ),
    threads: int = typer.Option(
        2, "--threads", help="Torch CPU threads (the tiny random model runs fastest on 1)."
    ),
) -> None:
    """Run a held-out benchmark on the default model (or --model) and print the report's path."""
    import torch

    from analysis.bench_report import write_bench_report
    from gazefusion.bench.benchmark import BenchOptions, run_benchmark
    from gazefusion.models.loading import default_model_path
    from gazefusion.saliency import available_saliency_models

    if threads < 1:
        raise UserInputError(f"--threads: expected >= 1, found {threads}")
    if steps < 1:
        raise UserInputError(f"--steps: expected >= 1, found {steps}")
    torch.set_num_threads(threads)
    import os

    builtin = default_model_path() if model is None and not os.environ.get("GAZEFUSION_MODEL") else None
    bench_dir = out / "bench"
    start = time.perf_counter()
    with RichProgress() as progress:
        if builtin is not None:
            from analysis.toy_effects import run_toy_bench

            run_toy_bench(
                bench_dir, builtin / HELD_OUT_PROMPTS, steps=steps, guidance_scale=guidance, size=size,
                progress=progress, log=console.print,
            )  # fmt: skip
        else:
            usable = set(available_saliency_models(usable_only=True))
            options = BenchOptions(
                prompts=DEMO_PROMPTS,
                smaps=DEMO_SMAPS,
                seeds=(0,),
                model=model,
                scorers=[s for s in DEMO_SCORERS if s in usable],
                steps=steps,
                guidance_scale=guidance,
                size=(size, size),
            )
            run_benchmark(bench_dir, options, progress=progress, log=console.print)
    report = write_bench_report(bench_dir, out / "report")
    if builtin is not None:
        _toy_effects(bench_dir, out / "report", time.perf_counter() - start)
    console.print(f"report: {report}", highlight=False)


def _toy_effects(bench_dir: Path, report_dir: Path, seconds: float) -> None:
    """Write and print the toy model's effect table (``effects.md`` / ``effects.json``)."""
    from analysis.toy_effects import check_thresholds, effects_markdown, toy_effects
    from gazefusion.bench.results import read_results
    from gazefusion.utils.atomic import atomic_write_json, atomic_write_text

    effects = toy_effects(read_results(bench_dir), bench_dir)
    failures = check_thresholds(effects)
    table = effects_markdown(effects)
    atomic_write_text(report_dir / "effects.md", table)
    atomic_write_json(
        report_dir / "effects.json", {"effects": effects, "failures": failures, "seconds": seconds}
    )
    console.print(table, highlight=False, markup=False)
    if failures:
        console.print("checks that did not hold: " + "; ".join(failures), highlight=False, markup=False)
    else:
        console.print("every acceptance check of the toy model holds", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``gazefusion demo``."""
    app.command("demo")(demo)
