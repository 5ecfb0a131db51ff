"""Shared CLI helpers: consoles, one-line messages, progress bars with ETA, option parsers.

The consoles print text as it is (``markup=False``): a message holding user text such as
``[display]`` or a file name with brackets is never read as rich markup. Styled labels go through
:func:`print_error`, :func:`print_warning`, :func:`print_notice` and :func:`print_ok`, which style
the label only.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(markup=False)
error_console = Console(stderr=True, markup=False)


def _labelled(label: str, style: str, text: str):
    from rich.text import Text

    return Text.assemble((label, style), " " if label else "", text)


def print_error(text: str) -> None:
    """``error: TEXT`` on stderr, TEXT printed as is (no markup), on one line."""
    error_console.print(_labelled("error:", "bold red", str(text)), highlight=False, soft_wrap=True)


def print_warning(text: str) -> None:
    """``warning: TEXT`` on stderr, TEXT printed as is."""
    error_console.print(_labelled("warning:", "yellow", str(text)), highlight=False, soft_wrap=True)


def print_notice(text: str) -> None:
    """``notice: TEXT`` on stderr, TEXT printed as is."""
    error_console.print(_labelled("notice:", "yellow", str(text)), highlight=False, soft_wrap=True)


def print_ok(text: str) -> None:
    """TEXT in green on stdout, printed as is."""
    from rich.text import Text

    console.print(Text(str(text), style="green"), highlight=False, soft_wrap=True)


class RichProgress:
    """The CLI's :class:`~gazefusion.progress.Progress`: one rich bar per task, on stderr.

    Each bar shows the task's name, the bar, done/total, the elapsed time and the ETA; it starts
    at the task's first report. Use it around the work::

        with RichProgress() as progress:
            prepare_dataset(cfg, progress=progress)

    Nothing is drawn before the first report, so a command that fails early shows no bar. A task
    reported again with a smaller ``done`` (the same stage run once more) gets a new bar. The bars
    stay on screen when the context ends.
    """

    def __init__(self) -> None:
        self._bars: Progress | None = None
        self._tasks: dict[str, tuple[Any, int]] = {}  # task name -> (rich task id, done)

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
        self._tasks.clear()

    def __call__(self, task: str, done: int, total: int | None) -> None:
        if self._bars is None:
            self._bars = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=error_console,
            )
            self._bars.start()
        known = self._tasks.get(task)
        if known is None or done < known[1]:
            task_id = self._bars.add_task(task, total=total, completed=done)
        else:
            task_id = known[0]
            self._bars.update(task_id, total=total, completed=done)
        self._tasks[task] = (task_id, done)


def parse_list(text: str, option: str, kind: type = str, min_items: int = 0) -> list:
    """A comma-separated option as a list of ``kind`` (blank items dropped); at least ``min_items``."""
    from gazefusion.errors import UserInputError

    items = [t.strip() for t in text.split(",") if t.strip()]
    try:
        values = [kind(t) for t in items]
    except ValueError:
        raise UserInputError(
            f"{option}: expected a comma-separated list of {kind.__name__} values, found {text!r}"
        ) from None
    if kind is float and not all(math.isfinite(v) for v in values):
        raise UserInputError(f"{option}: expected finite numbers, found {text!r}")
    if len(values) < min_items:
        raise UserInputError(f"{option}: expected at least {min_items} value(s), found {text!r}")
    return values


def _option_name(param: Any) -> str:
    opts = [o for o in getattr(param, "opts", None) or [] if o.startswith("--")]
    return opts[0] if opts else str(param.name).upper()


def finite_float_options(command: Any) -> Any:
    """Make every float option and argument of ``command`` (and its sub-commands) refuse NaN/inf.

    ``command`` is the click command typer builds; each command's callback is wrapped so that a
    non-finite float (alone or in a list) is a one-line :class:`~gazefusion.errors.UserInputError`
    naming the option, before the command does anything. Applied once to the whole ``gazefusion``
    command, so no float option of any sub-command lets ``inf`` or ``nan`` through.
    """
    inner = getattr(command, "callback", None)
    if inner is not None and not getattr(inner, "_finite_floats", False):
        names = {p.name: _option_name(p) for p in command.params}

        @functools.wraps(inner)
        def checked(*args: Any, **kwargs: Any) -> Any:
            from gazefusion.errors import UserInputError

            for key, value in kwargs.items():
                for v in value if isinstance(value, list | tuple) else (value,):
                    if isinstance(v, float) and not math.isfinite(v):
                        raise UserInputError(f"{names.get(key, key)}: expected a finite number, found {v}")
            return inner(*args, **kwargs)

        checked._finite_floats = True  # type: ignore[attr-defined]
        command.callback = checked
    for sub in (getattr(command, "commands", None) or {}).values():
        finite_float_options(sub)
    return command
