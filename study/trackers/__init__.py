"""Eye-tracker backends behind one adapter interface, looked up by name.

Names: ``simulated``, ``mouse``, ``pygaze.<trackertype>`` (``pygaze.eyelink``, ``pygaze.tobii``,
``pygaze.smi``, ``pygaze.eyetribe``, ``pygaze.opengaze``, ``pygaze.alea``, ``pygaze.dummy``) and
``iohub.<ioHub device class path>`` (e.g.
``iohub.eyetracker.hw.sr_research.eyelink.EyeTracker``), as in PsychoPy ioHub's config keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gazefusion.errors import UserInputError
from study.trackers.base import EyeTracker, SampleBlock, Scene, TrackerData

#: exact name -> class factory; prefix families ("pygaze.", "iohub.") -> factory(name, ...).
_TRACKERS: dict[str, Callable[..., EyeTracker]] = {}
_FAMILIES: dict[str, tuple[Callable[..., EyeTracker], tuple[str, ...]]] = {}


def register_tracker(name: str, examples: tuple[str, ...] = ()) -> Callable:
    """Class decorator: register a backend under ``name``; a name ending in "." registers a
    family whose members (``name + rest``) are passed to the class as ``device=rest``."""

    def deco(cls: type[EyeTracker]) -> type[EyeTracker]:
        cls.name = name
        if name.endswith("."):
            _FAMILIES[name] = (cls, examples)
        else:
            _TRACKERS[name] = cls
        return cls

    return deco


def _load_backends() -> None:
    from study.trackers import iohub, mouse, pygaze, simulated  # noqa: F401 - registration


def available_trackers() -> list[str]:
    """Known tracker names (families shown with their known members)."""
    _load_backends()
    names = sorted(_TRACKERS)
    for prefix, (_, examples) in sorted(_FAMILIES.items()):
        names += [prefix + e for e in examples] or [prefix + "*"]
    return names


def check_tracker_name(name: str) -> None:
    """Raise :class:`UserInputError` listing the known names if ``name`` is unknown."""
    _load_backends()
    if name in _TRACKERS:
        return
    for prefix, (_, examples) in _FAMILIES.items():
        if name.startswith(prefix) and name[len(prefix) :]:
            rest = name[len(prefix) :]
            if examples and prefix == "pygaze." and rest not in examples:
                break
            return
    raise UserInputError(f"unknown tracker {name!r}; known: {_known_summary()}")


def _known_summary() -> str:
    parts = sorted(_TRACKERS)
    for prefix, (_, examples) in sorted(_FAMILIES.items()):
        if prefix == "iohub.":
            parts.append("iohub.<ioHub device class, e.g. eyetracker.hw.sr_research.eyelink.EyeTracker>")
        else:
            parts.append(f"{prefix}{{{','.join(examples)}}}")
    return ", ".join(parts)


def get_tracker(name: str, sampling_rate_hz: float = 1000.0, **settings: Any) -> EyeTracker:
    """Build the backend called ``name`` with its settings (heavy imports happen in ``setup``)."""
    check_tracker_name(name)
    if name in _TRACKERS:
        tracker = _TRACKERS[name](sampling_rate_hz=sampling_rate_hz, **settings)
    else:
        prefix = next(p for p in _FAMILIES if name.startswith(p))
        tracker = _FAMILIES[prefix][0](
            device=name[len(prefix) :], sampling_rate_hz=sampling_rate_hz, **settings
        )
    tracker.name = name
    return tracker


__all__ = [
    "EyeTracker",
    "SampleBlock",
    "Scene",
    "TrackerData",
    "available_trackers",
    "check_tracker_name",
    "get_tracker",
    "register_tracker",
]
