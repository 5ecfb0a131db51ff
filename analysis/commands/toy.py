"""`gazefusion toy build`: train the small default GazeFusion from scratch on synthetic scenes."""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console

toy_app = typer.Typer(
    help="The toy GazeFusion: the paper's recipe at small scale, trained on a CPU.", no_args_is_help=True
)


@toy_app.command("build")
def build(
    out: Path = typer.Option(
        Path("models/toy"), "--out", "-o", help="Model folder to write (a diffusers pipeline folder)."
    ),
    work: Path | None = typer.Option(
        None,
        "--work",
        help="Folder of the intermediate stages [default: OUT.build beside OUT]; keep it to resume.",
    ),
    preset: str = typer.Option(
        "full", "--preset", help="full (the shipped model, <= 90 min on 2 cores) or smoke (seconds)."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Stop after this stage: scenes, data, vae, latents, base, controlnet, export."
    ),
    threads: int | None = typer.Option(
        None, "--threads", help="Torch CPU threads [default: the recipe's, 2]."
    ),
    evaluate: bool = typer.Option(
        True, "--evaluate/--no-evaluate", help="After the build: the held-out benchmark and the model card."
    ),
) -> None:
    """Scenes -> `gazefusion prepare` -> autoencoder -> base text-to-image model -> `gazefusion train`
    of the ControlNet -> export. Re-running the same command resumes at the last checkpoint of the
    stage it was in."""
    from gazefusion.errors import UserInputError
    from gazefusion.toy.build import STAGES, ToyBuild
    from gazefusion.toy.recipe import recipe_from_preset

    if until is not None and until not in STAGES:
        raise UserInputError(f"--until: expected one of {', '.join(STAGES)}, found {until!r}")
    if threads is not None and threads < 1:
        raise UserInputError(f"--threads: expected a positive integer, found {threads}")
    overrides = {} if threads is None else {"threads": threads}
    recipe = recipe_from_preset(preset, **overrides)
    # import everything training uses now, so later edits of the source tree cannot reach a running build
    import gazefusion.data.prepare  # noqa: F401
    import gazefusion.training.loop  # noqa: F401
    import gazefusion.training.step  # noqa: F401

    with RichProgress() as progress:
        builder = ToyBuild(recipe, out, work, progress=progress, log=console.print)
        folder = builder.run(until=until)
    times = builder.stage_times()
    console.print("stage times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in times.items()), highlight=False)
    if until is None and evaluate:
        card = evaluate_and_write_card(builder)
        console.print(f"model: {folder} (model card: {card})", highlight=False)
    elif until is None:
        console.print(f"model: {folder}", highlight=False)


def evaluate_and_write_card(builder) -> Path:
    """Held-out benchmark of the built model, its effect numbers and the model card (README.md)."""
    import json
    import shlex
    import time

    from analysis.commands.demo import HELD_OUT_PROMPTS
    from analysis.toy_card import write_card
    from analysis.toy_effects import check_thresholds, run_toy_bench, scorer_ceiling, toy_effects
    from gazefusion.bench.results import read_results
    from gazefusion.data.synthetic import HELD_OUT_PAIRS, held_out_prompts
    from gazefusion.utils.atomic import atomic_write_text

    recipe, out = builder.recipe, builder.out
    prompts = out / HELD_OUT_PROMPTS
    header = (
        "# Prompts naming (colour, shape) pairs held out of the toy model's training (gazefusion demo).\n"
    )
    atomic_write_text(prompts, header + "\n".join(held_out_prompts(recipe.seed)) + "\n")
    bench_dir = builder.work / "evaluate"
    start = time.perf_counter()
    with RichProgress() as progress:
        run_toy_bench(bench_dir, prompts, model=str(out), progress=progress, log=console.print)
    seconds = time.perf_counter() - start
    effects = toy_effects(read_results(bench_dir), bench_dir)
    failures = check_thresholds(effects)
    ceiling = scorer_ceiling(
        recipe.seed,
        recipe.saliency_model,
        dict(recipe.saliency_options),
        first_index=recipe.n_scenes,
        size=recipe.size,
    )
    argv = [a.replace(str(builder.work), "WORK") for a in builder.train_argv()]
    return write_card(
        out,
        recipe={**recipe.identity(), "held_out_pairs": sorted(HELD_OUT_PAIRS)},
        losses=json.loads((out / "losses.json").read_text()),
        stage_times=builder.stage_times(),
        effects=effects,
        ceiling=ceiling,
        train_command="gazefusion train " + shlex.join(argv),
        demo_command="gazefusion demo",
        demo_seconds=seconds,
        failures=failures,
    )


def register(app: typer.Typer) -> None:
    """Add ``gazefusion toy``."""
    app.add_typer(toy_app, name="toy")
