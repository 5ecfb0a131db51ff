"""The ``gazefusion`` command (typer + rich).

Each sub-command lives in its own module of this package and exposes ``register(app)``; modules
import heavy libraries (torch, diffusers, psychopy) inside the command functions only, so that
``gazefusion --help`` stays fast. The upper layers add their own commands through the
``gazefusion.commands`` entry-point group (``study`` from ``study.cli``, ``demo``/``analyze``/
``bench report``/``toy`` from ``analysis.commands``): this package imports neither ``study`` nor
``analysis``.

User mistakes (:class:`~gazefusion.errors.UserInputError`, missing files) are printed as one red
line and exit with status 2. Set ``GAZEFUSION_DEBUG=1`` to see the full traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from gazefusion.cli._common import console, finite_float_options, print_error, print_warning
from gazefusion.errors import UserInputError

app = typer.Typer(
    name="gazefusion",
    help="Saliency-guided image generation (GazeFusion) and its evaluation.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

#: Sub-command modules of the core, in the order ``--help`` lists them.
_COMMAND_MODULES = (
    "gazefusion.cli.generate",
    "gazefusion.cli.webapp",
    "gazefusion.cli.smap",
    "gazefusion.cli.convert",
    "gazefusion.cli.saliency",
    "gazefusion.cli.metrics",
    "gazefusion.cli.prepare",
    "gazefusion.cli.train",
    "gazefusion.cli.bench",
)
#: Entry-point group through which other packages add commands: ``name = "module:register"``.
COMMAND_GROUP = "gazefusion.commands"

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _register_plugins() -> None:
    """Call every ``register(app)`` of the :data:`COMMAND_GROUP` entry points (sorted by name)."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        ep.load()(app)


_register_plugins()


def _print_version(value: bool) -> None:
    if value:
        from gazefusion import __version__

        console.print(f"gazefusion {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """Saliency-guided image generation (GazeFusion) and its evaluation."""


#: File-system errors that are the user's (a path that is missing, a file where a folder is due, ...).
_PATH_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError, PermissionError)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user mistakes into one-line errors (exit status 2).

    Every float option of every sub-command refuses NaN and infinities
    (:func:`~gazefusion.cli._common.finite_float_options`).
    """
    import typer.main

    command = finite_float_options(typer.main.get_command(app))
    try:
        command.main(args=argv, standalone_mode=True)
    except (UserInputError, *_PATH_ERRORS) as exc:
        if os.environ.get("GAZEFUSION_DEBUG"):
            raise
        if isinstance(exc, UserInputError):
            msg = str(exc)
        else:
            msg = f"{exc.strerror or exc}: {exc.filename or ''}"
        print_error(" ".join(msg.splitlines()))
        sys.exit(2)
    except KeyboardInterrupt:
        print_warning("interrupted (finished work is kept; re-run to resume)")
        sys.exit(130)
