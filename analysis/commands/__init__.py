"""The analysis layer's commands, registered into the root ``gazefusion`` command through the
``gazefusion.commands`` entry-point group (pyproject.toml): ``demo`` (the README's main job: a
bench and its report), ``analyze study|bench|power``, ``bench report`` and ``toy``. The core
(``gazefusion/``) imports nothing of ``analysis/`` or ``study/``.
"""

from __future__ import annotations

import importlib

import typer

_MODULES = ("demo", "analyze", "bench_report", "toy")


def register(app: typer.Typer) -> None:
    """Add the analysis layer's commands to ``app``."""
    for name in _MODULES:
        importlib.import_module(f"analysis.commands.{name}").register(app)
