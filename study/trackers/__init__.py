"""Eye-tracker backends behind one adapter interface, looked up by name.

Names: ``simulated``, ``mouse``, ``pygaze.<trackertype>`` (``pygaze.eyelink``, ``pygaze.tobii``,
``pygaze.smi``, ``pygaze.eyetribe``, ``pygaze.opengaze``, ``pygaze.alea``, ``pygaze.dummy``) and
``iohub.<ioHub device class path>`` (e.g.
``iohub.eyetracker.hw.sr_research.eyelink.EyeTracker``), as in PsychoPy ioHub's config keys.
"""

from __future__ import annotations

from typing import Any

from study.trackers.base import EyeTracker, SampleBlock, Scene, TrackerData
from study.trackers.registry import TRACKERS, TrackerRegistry, register_tracker


def _load_backends() -> None:
    from study.trackers import iohub, mouse, pygaze, simulated  # noqa: F401 - registration


TRACKERS.loader = _load_backends  # here, not in .registry, which the backends import


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
