"""Shared CLI helpers: consoles and a progress bar with ETA."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console()
error_console = Console(stderr=True)

T = TypeVar("T")


def progress_bar(transient: bool = False) -> Progress:
    """A rich progress bar: description, bar, done/total, elapsed, ETA (on stderr)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=error_console,
        transient=transient,
    )


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` showing a progress bar with ETA."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar() as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)


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
    if len(values) < min_items:
        raise UserInputError(f"{option}: expected at least {min_items} value(s), found {text!r}")
    return values
