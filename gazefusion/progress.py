"""Progress reporting: one callback protocol for every long-running function, and its helpers.

A function doing long work (a *producer*) takes ``progress: Progress = NO_PROGRESS`` and calls
``progress(task, done, total)``, as diffusers pipelines have one ``callback_on_step_end``:

- ``task`` names the stage (``"crop"``, ``"denoising"``, ``"train ControlNet"``); a producer with
  several stages reports each under its own name, and its docstring lists them with their units;
- ``done`` is how many units of the task are finished and ``total`` how many there are in all,
  ``None`` when that is not known; both count the units the producer's docstring names (images,
  denoising steps, optimiser updates, ...);
- a task is reported when it starts (before its first unit: ``done`` is 0, or the units a resumed
  run finished before) and after every unit; ``done`` never decreases within a task, and the last
  report of a finished task has ``done == total``.

A producer that calls another passes its ``progress`` on (the inner tasks are reported as they
are) or, to count an inner task as a part of its own, :func:`part_of`. Loops over items stay one
line with :func:`tracked`, and a stage done in one go is a ``with`` block of :func:`stage`.
What the reports look like is the consumer's business: the CLI's rich bars
(:class:`gazefusion.cli._common.RichProgress`), the app's Gradio bar
(:class:`gazefusion.app.ui.GradioProgress`), or nothing (:data:`NO_PROGRESS`). A report only
informs: it never changes what the producer computes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    """``progress(task, done, total)``: ``done`` of ``total`` units of ``task`` are finished."""

    def __call__(self, task: str, done: int, total: int | None) -> None: ...


def _no_progress(task: str, done: int, total: int | None) -> None:
    """Report nothing."""


#: The default of every ``progress`` parameter: reports go nowhere.
NO_PROGRESS: Progress = _no_progress


def tracked(
    items: Iterable[T], progress: Progress, task: str, total: int | None = None, start: int = 0
) -> Iterator[T]:
    """Yield ``items``, reporting ``task``: ``start`` before the first, one more unit after each.

    ``total`` defaults to ``start + len(items)`` when ``items`` has a length (else unknown);
    ``start`` counts the units finished before (a resumed run). An item counts as finished when
    the loop asks for the next one, so the last report, ``done == total``, comes as the loop ends
    (not when it is left early).
    """
    if total is None and hasattr(items, "__len__"):
        total = start + len(items)  # type: ignore[arg-type]
    done = start
    progress(task, done, total)
    for item in items:
        yield item
        done += 1
        progress(task, done, total)


def part_of(progress: Progress, task: str, start: int, total: int | None) -> Progress:
    """``progress`` for a part of a larger ``task`` whose first ``start`` units are already done.

    The part's reports of ``task`` with ``done > 0`` become ``(task, start + done, total)``; its
    report at its own start and its other tasks are not passed on (the caller reports the whole
    task's start itself). ``part_of(NO_PROGRESS, ...)`` is :data:`NO_PROGRESS`.
    """
    if progress is NO_PROGRESS:
        return NO_PROGRESS

    def report(name: str, done: int, _part_total: int | None) -> None:
        if name == task and done > 0:
            progress(task, start + done, total)

    return report


@contextmanager
def stage(progress: Progress, task: str) -> Iterator[None]:
    """Report the ``with`` block as ``task`` of one unit: ``0`` of 1 on entry, ``1`` of 1 when it
    ends without an error."""
    progress(task, 0, 1)
    yield
    progress(task, 1, 1)
