"""`gazefusion analyze`: study and benchmark reports, power analysis (see docs/analysis.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, parse_list
from gazefusion.errors import UserInputError

analyze_app = typer.Typer(help="Analyse study and benchmark data; power analysis.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``gazefusion analyze ...`` to ``app``."""
    app.add_typer(analyze_app, name="analyze")


@analyze_app.command("study")
def study(
    data: Path = typer.Argument(..., help="Study export folder (gazefusion study export) or .sqlite."),
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    fixations: str = typer.Option("tracker", "--fixations", help="tracker (its events), ivt or idt."),
    sigma_deg: float = typer.Option(1.0, "--sigma-deg", help="Fixation-map Gaussian sigma (degrees)."),
    metrics: str = typer.Option("cc,kld,sim,nss,auc_judd,auc_shuffled", "--metrics", help="Metrics."),
    stimuli: Path | None = typer.Option(
        None,
        "--stimuli",
        help="Folder the stimulus/smap paths are relative to (default: the export's parent).",
    ),
    examples: int = typer.Option(4, "--examples", min=0, help="Stimuli shown in the heat-map figure."),
    seed: int = typer.Option(0, "--seed", help="Seed of the shuffled control and stochastic metrics."),
    mixed: bool = typer.Option(True, "--mixed/--no-mixed", help="Fit the mixed-effects model."),
) -> None:
    """Gaze vs target smaps with controls (shuffled, centre bias, unguided, ceiling); stats; figures."""
    from analysis.study_report import write_study_report

    with RichProgress() as progress:
        report = write_study_report(
            data,
            out,
            fixations=fixations,
            sigma_deg=sigma_deg,
            metrics=parse_list(metrics, "--metrics", str, min_items=1),
            stimulus_dir=stimuli,
            n_examples=examples,
            seed=seed,
            mixed=mixed,
            progress=progress,
        )
    console.print(f"report written to {report}")


@analyze_app.command("bench")
def bench(
    results: Path = typer.Argument(..., help="Bench output folder or its results.parquet."),
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    examples: int = typer.Option(4, "--examples", min=0, help="Rows of the example grid."),
    scorer: str | None = typer.Option(None, "--scorer", help="Saliency model shown in the examples."),
) -> None:
    """Benchmark report (analysis/bench_report.py): means, paired tests, aligned-vs-shuffled gap."""
    from analysis.bench_report import write_bench_report

    if not results.exists():
        raise UserInputError(
            f"RESULTS: expected a bench output folder or results.parquet, found nothing at {results}"
        )
    report = write_bench_report(results, out, n_examples=examples, example_scorer=scorer)
    console.print(f"report written to {report}")


@analyze_app.command("power")
def power(
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    effect: str = typer.Option(
        "0.1,0.2,0.3", "--effect", help="Share(s) of image saliency that follows the target (0..1)."
    ),
    participants: str = typer.Option("5,10,20,30", "--participants", help="Participant counts."),
    stimuli: str = typer.Option("10,20", "--stimuli", help="Stimulus counts (>= 2)."),
    sims: int = typer.Option(100, "--sims", min=1, help="Simulated studies per effect."),
    metric: str = typer.Option("nss", "--metric", help="Fixation metric of the planned test."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
    target_power: float = typer.Option(0.8, "--power", help="Power the design table asks for."),
    viewing_s: float = typer.Option(5.0, "--viewing-s", help="Free-viewing time per image (s)."),
    centre_bias: float = typer.Option(
        0.3, "--centre-bias", "--center-bias", help="Observers' centre-bias weight (0..1)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed."),
) -> None:
    """Monte-Carlo power of the alignment test with simulated observers (participants x stimuli).

    The observers are in their planted mode: they look at a map made from the target (the effect
    is planted on purpose), not at images."""
    from analysis.power import OBSERVER_MODE, PowerSetup
    from analysis.power_report import write_power_report

    effects = parse_list(effect, "--effect", float, min_items=1)
    n_participants = parse_list(participants, "--participants", int, min_items=1)
    n_stimuli = parse_list(stimuli, "--stimuli", int, min_items=1)
    setup = PowerSetup(
        metric=metric, alpha=alpha, viewing_s=viewing_s, centre_bias_weight=centre_bias, seed=seed
    )
    console.print(
        f"observer mode: {OBSERVER_MODE} (observers look at a map with the effect planted, not at images)"
    )
    with RichProgress() as progress:
        report = write_power_report(
            out,
            effects,
            n_participants,
            n_stimuli,
            sims,
            setup,
            target_power,
            progress=progress,
        )
    console.print(f"report written to {report}")
