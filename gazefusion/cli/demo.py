"""``gazefusion demo``: the README's main job, a small benchmark that ends with its report.

It runs ``gazefusion bench run`` on the tiny random model (or real weights with ``--model``)
with 4 prompts x 3 built-in smaps x 1 seed at 64x64 px and few steps, scores the images with the
classical saliency models (no weights needed), writes the report and prints its path. Everything
is offline; re-running resumes (finished items are skipped).
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import console, track
from gazefusion.errors import UserInputError

#: Classical scorers of the demo (no weights); those not usable here are left out.
DEMO_SCORERS = ("spectral-residual", "fine-grained", "itti-koch", "centre-bias")
#: Built-in smaps of the demo: the original's two look-alikes and a blob in another place.
DEMO_SMAPS = ("smap1", "smap2", "blob_top_left")
DEMO_PROMPTS = Path(__file__).resolve().parents[2] / "assets" / "prompts" / "demo_4.txt"


def demo(
    out: Path = typer.Option(
        Path("out/demo"), "--out", "-o", help="Output folder (bench results and report)."
    ),
    model: str = typer.Option(
        None,
        "--model",
        help="Model folder or checkpoint (default: $GAZEFUSION_MODEL if set, else the tiny random model).",
    ),
    size: int = typer.Option(64, "--size", help="Image side in pixels (multiple of 8)."),
    steps: int = typer.Option(4, "--steps", help="DDIM steps."),
    threads: int = typer.Option(
        1,
        "--threads",
        help="Torch CPU threads: the tiny model's small operations run "
        "fastest on one (more threads only add contention); raise it for real weights.",
    ),
) -> None:
    """Run a small benchmark (4 prompts x 3 smaps, classical scorers) and print the report's path."""
    import torch

    from analysis.bench_report import write_bench_report
    from gazefusion.bench.session import run_benchmark
    from gazefusion.saliency import available_saliency_models

    if threads < 1:
        raise UserInputError(f"--threads: expected >= 1, found {threads}")
    torch.set_num_threads(threads)
    usable = set(available_saliency_models(usable_only=True))
    scorers = [s for s in DEMO_SCORERS if s in usable]
    bench_dir = out / "bench"
    run_benchmark(
        bench_dir,
        prompts=DEMO_PROMPTS,
        smaps=list(DEMO_SMAPS),
        seeds=(0,),
        model=model,
        scorers=scorers,
        steps=steps,
        size=(size, size),
        progress=track,
        log=console.print,
    )
    report = write_bench_report(bench_dir, out / "report")
    console.print(f"report: {report}")


def register(app: typer.Typer) -> None:
    """Add ``gazefusion demo``."""
    app.command("demo")(demo)
