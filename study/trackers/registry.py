"""The tracker registry: exact names and prefix families (see :mod:`study.trackers`).

The backends import :func:`register_tracker` from here; :mod:`study.trackers` sets the loader that
imports them, so that no module imports itself back through them.
"""

from __future__ import annotations

from collections.abc import Callable

from gazefusion.registry import Registry
from study.trackers.base import EyeTracker


class TrackerRegistry(Registry[Callable[..., EyeTracker]]):
    """Tracker classes by exact name, plus prefix *families* (``pygaze.``, ``iohub.``) whose
    members ``prefix + rest`` are built by one class with ``device=rest``. A family registered
    with examples that is closed (``pygaze.``) accepts only those members."""

    def __init__(self) -> None:
        super().__init__("tracker")
        self.families: dict[str, tuple[Callable[..., EyeTracker], tuple[str, ...]]] = {}

    def family(self, name: str) -> str | None:
        """The family prefix ``name`` belongs to (None for exact names and unknown names)."""
        self.load()
        for prefix, (_, examples) in self.families.items():
            rest = name[len(prefix) :] if name.startswith(prefix) else ""
            if rest and not (prefix in _CLOSED_FAMILIES and rest not in examples):
                return prefix
        return None

    def check(self, name: str) -> None:
        """Raise :class:`~gazefusion.errors.UnknownNameError` if ``name`` is no tracker."""
        if name not in self and self.family(name) is None:
            raise self.unknown(name)

    def known(self) -> str:
        parts = self.names()
        for prefix, (_, examples) in sorted(self.families.items()):
            if prefix == "iohub.":
                parts.append("iohub.<ioHub device class, e.g. eyetracker.hw.sr_research.eyelink.EyeTracker>")
            else:
                parts.append(f"{prefix}{{{','.join(examples)}}}")
        return ", ".join(parts)


#: Families whose examples are all their members (PyGaze's tracker types).
_CLOSED_FAMILIES = ("pygaze.",)
TRACKERS = TrackerRegistry()


def register_tracker(name: str, examples: tuple[str, ...] = ()) -> Callable:
    """Class decorator: register a backend under ``name``; a name ending in "." registers a
    family whose members (``name + rest``) are passed to the class as ``device=rest``."""

    def deco(cls: type[EyeTracker]) -> type[EyeTracker]:
        cls.name = name
        if name.endswith("."):
            TRACKERS.families[name] = (cls, examples)
        else:
            TRACKERS.register(name, cls, replace=True)
        return cls

    return deco
