"""``gazefusion bench report``: the bench report (analysis layer) added to the core ``bench`` group."""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import console
from gazefusion.errors import UserInputError


def report(
    results: Path = typer.Argument(..., help="A bench output folder (or its results.parquet)."),
    out: Path = typer.Option(None, "--out", "-o", help="Report folder (default: RESULTS/report)."),
    examples: int = typer.Option(4, "--examples", help="Rows of the example grid (0: none)."),
    scorer: str = typer.Option(
        None, "--scorer", help="Scorer shown in the example grid (default: the first)."
    ),
) -> None:
    """Write report.md/.html with means and CIs, paired tests, the shuffled-target gap and figures."""
    from analysis.bench_report import write_bench_report

    if not results.exists():
        raise UserInputError(f"RESULTS: not found: {results}")
    target = out or ((results if results.is_dir() else results.parent) / "report")
    path = write_bench_report(results, target, n_examples=examples, example_scorer=scorer)
    console.print(f"report: {path}")


def register(app: typer.Typer) -> None:
    """Add ``gazefusion bench report`` (the core's ``bench`` group must be registered first)."""
    from gazefusion.cli.bench import bench_app

    bench_app.command("report")(report)
