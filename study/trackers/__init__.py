"""Eye-tracker backends behind one adapter interface, looked up by name.

Names: ``simulated``, ``mouse``, ``pygaze.<trackertype>`` (``pygaze.eyelink``, ``pygaze.tobii``,
``pygaze.smi``, ``pygaze.eyetribe``, ``pygaze.opengaze``, ``pygaze.alea``, ``pygaze.dummy``) and
``iohub.<ioHub device class path>`` (e.g.
``iohub.eyetracker.hw.sr_research.eyelink.EyeTracker``), as in PsychoPy ioHub's config keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gazefusion.registry import Registry
from study.trackers.base import EyeTracker, SampleBlock, Scene, TrackerData


class TrackerRegistry(Registry[Callable[..., EyeTracker]]):
    """Tracker classes by exact name, plus prefix *families* (``pygaze.``, ``iohub.``) whose
    members ``prefix + rest`` are built by one class with ``device=rest``. A family registered
    with examples that is closed (``pygaze.``) accepts only those members."""

    def __init__(self) -> None:
        super().__init__("tracker", loader=lambda: _load_backends())
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


def _load_backends() -> None:
    from study.trackers import iohub, mouse, pygaze, simulated  # noqa: F401 - registration


def available_trackers() -> list[str]:
    """Known tracker names (families shown with their known members)."""
    names = TRACKERS.names()
    for prefix, (_, examples) in sorted(TRACKERS.families.items()):
        names += [prefix + e for e in examples] or [prefix + "*"]
    return names


def check_tracker_name(name: str) -> None:
    """Raise :class:`UserInputError` listing the known names if ``name`` is unknown."""
    TRACKERS.check(name)


def get_tracker(name: str, sampling_rate_hz: float = 1000.0, **settings: Any) -> EyeTracker:
    """Build the backend called ``name`` with its settings (heavy imports happen in ``setup``)."""
    prefix = TRACKERS.family(name)
    if prefix is None:
        tracker = TRACKERS.get(name)(sampling_rate_hz=sampling_rate_hz, **settings)
    else:
        tracker = TRACKERS.families[prefix][0](
            device=name[len(prefix) :], sampling_rate_hz=sampling_rate_hz, **settings
        )
    tracker.name = name
    return tracker


__all__ = [
    "EyeTracker",
    "SampleBlock",
    "Scene",
    "TRACKERS",
    "TrackerData",
    "TrackerRegistry",
    "available_trackers",
    "check_tracker_name",
    "get_tracker",
    "register_tracker",
]
