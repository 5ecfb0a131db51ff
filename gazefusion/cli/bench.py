"""``gazefusion bench``: the model-based saliency benchmark (``run``) and its report (``report``).

Sharded runs: ``accelerate launch -m gazefusion bench run ...`` on GPUs (one process per GPU;
``torchrun --nproc_per_node N -m gazefusion bench run ...`` on a CPU-only machine); every process
takes the work items whose index is its rank modulo the world size, and the main process merges
the part-files when all are done.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, parse_list
from gazefusion.errors import UserInputError

bench_app = typer.Typer(
    help="Model-based saliency benchmark over prompt sets: run it, then report.", no_args_is_help=True
)

_DEFAULT_METRICS = "cc,kld,nss,sim,auc_judd,auc_shuffled"


def parse_size(text: str | None) -> tuple[int, int] | None:
    """``--size``: ``N`` (square) or ``WxH`` in pixels, multiples of 8 up to the documented maximum
    (:data:`gazefusion.limits.MAX_IMAGE_SIDE_PX`)."""
    from gazefusion.limits import MAX_IMAGE_SIDE_PX

    if text is None:
        return None
    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or any(v < 8 or v % 8 or v > MAX_IMAGE_SIDE_PX for v in values):
        raise UserInputError(
            f"--size: expected N or WxH in pixels, multiples of 8 from 8 to {MAX_IMAGE_SIDE_PX} "
            f"(the documented maximum), found {text!r}"
        )
    return (values[0], values[-1])


@bench_app.command("run")
def run(
    out: Path = typer.Option(
        Path("out/bench"), "--out", "-o", help="Output folder (re-run the same command to resume)."
    ),
    prompts: Path = typer.Option(
        None,
        "--prompts",
        help="Prompt set: .txt, .csv, .jsonl or COCO captions .json "
        "(default: gazefusion/assets/prompts/coco_style_100.txt).",
    ),
    smaps: list[str] = typer.Option(
        None,
        "--smaps",
        help="Smap files, spec files, built-in names or folders "
        "(repeat the option) (default: gazefusion/assets/smaps/).",
    ),
    seeds: str = typer.Option(
        "0", "--seeds", help="Comma-separated seeds; every prompt x smap runs with each."
    ),
    model: str = typer.Option(
        None,
        "--model",
        help="Model folder or checkpoint (default: $GAZEFUSION_MODEL if set, else the built-in toy "
        "GazeFusion; 'tiny': the random test model).",
    ),
    scorers: str = typer.Option(
        None, "--scorers", help="Comma-separated saliency models (default: every model usable here)."
    ),
    metrics: str = typer.Option(_DEFAULT_METRICS, "--metrics", help="Comma-separated metric names."),
    control_scales: str = typer.Option(
        "1.0",
        "--control-scales",
        help="ControlNet strengths; the first is compared with the baseline, e.g. 1.0,0.5,1.5 for a sweep.",
    ),
    steps: int = typer.Option(50, "--steps", help="DDIM steps."),
    guidance_scale: float = typer.Option(
        9.0, "--guidance", help="Classifier-free guidance scale (the same option as generate and demo)."
    ),
    size: str = typer.Option(None, "--size", help="Generation size N or WxH px (default: the smaps' size)."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Generate the unguided baseline."),
    shuffled: bool = typer.Option(
        True, "--shuffled/--no-shuffled", help="Score the shuffled-target control."
    ),
    n_fixations: int = typer.Option(
        100, "--n-fixations", help="Pseudo-fixations drawn per smap for location-based metrics (nss, auc_*)."
    ),
    n_other: int = typer.Option(
        10, "--n-other", help="Other smaps whose pseudo-fixations are the sAUC negatives."
    ),
    target_seed: int = typer.Option(0, "--target-seed", help="Seed of the pseudo-fixations."),
    shuffle_seed: int = typer.Option(0, "--shuffle-seed", help="Seed of the shuffled-target derangement."),
    limit: int = typer.Option(None, "--limit", help="Only the first N work items (a quick look)."),
    device: str = typer.Option(
        None, "--device", help="Torch device (default: accelerate's for this process)."
    ),
    dtype: str = typer.Option("auto", "--dtype", help="auto (fp16 on GPU, fp32 on CPU), fp32, fp16 or bf16."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the results in --out of a benchmark with other settings."
    ),
) -> None:
    """Generate images for prompt x smap x seed with and without guidance, score them, write Parquet."""
    from gazefusion.bench.benchmark import BenchOptions, run_benchmark

    sets = {"prompts": prompts, "smaps": smaps}
    options = BenchOptions(
        **{k: v for k, v in sets.items() if v},  # not given: BenchOptions' default sets
        seeds=parse_list(seeds, "--seeds", int),
        model=model,
        scorers=None if scorers is None else parse_list(scorers, "--scorers"),
        size=parse_size(size),
        metrics=parse_list(metrics, "--metrics"),
        control_scales=parse_list(control_scales, "--control-scales", float),
        steps=steps,
        guidance_scale=guidance_scale,
        baseline=baseline,
        shuffled=shuffled,
        n_fixations=n_fixations,
        n_other=n_other,
        target_seed=target_seed,
        shuffle_seed=shuffle_seed,
        limit=limit,
        device=device,
        dtype=dtype,
        overwrite=overwrite,
    )
    with RichProgress() as progress:
        run_benchmark(out, options, progress=progress, log=console.print)


def register(app: typer.Typer) -> None:
    """Add ``gazefusion bench run`` (``bench report`` comes with the analysis layer's commands)."""
    app.add_typer(bench_app, name="bench")
