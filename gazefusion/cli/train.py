"""`gazefusion train`: train the GazeFusion ControlNet on a prepared dataset (accelerate).

The options are those of :class:`gazefusion.training.config.TrainConfig` (one ``--kebab-case``
option per field, parsed by :func:`~gazefusion.training.config.parse_args`), so the command line,
``accelerate launch -m gazefusion train ...`` and library calls share one definition.
"""

from __future__ import annotations

import typer

from gazefusion.cli._common import RichProgress, console


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to ``app``."""
    app.command(
        "train",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )(train)


def train(ctx: typer.Context) -> None:
    """Train the ControlNet (defaults: the original train.py). `gazefusion train --help` lists the options.

    Multi-GPU / multi-node: `accelerate launch -m gazefusion train --data DIR ...`.
    """
    from gazefusion.training.config import parse_args
    from gazefusion.training.loop import train as run

    cfg = parse_args(list(ctx.args))
    with RichProgress() as progress:  # the bar starts after loading, with the first report
        result = run(cfg, progress=progress)
    if not result.is_main_process:
        return
    if result.losses:
        console.print(
            f"trained steps {result.first_step + 1}-{result.global_step}; last loss {result.losses[-1]:.4f}",
            highlight=False,
        )
    if result.export_dir is not None:
        console.print(f"exported {result.export_dir} and {result.cldm_path}", highlight=False)
