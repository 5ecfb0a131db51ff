"""The eye-tracker adapter interface (after PsychoPy ioHub's device lifecycle).

Lifecycle: ``setup(display)`` -> ``calibrate(display)`` (the tracker's own routine; validation
is done by the session, the same way for every tracker) -> ``start_recording()`` -> ``poll()``
every frame (samples and events since the last poll) and ``send_message()`` -> ``stop_recording()``
-> ``close()``.

Times: ``system_time`` is the session clock (seconds, the clock ``win.flip()`` returns, i.e.
``display.clock()``); ``tracker_time`` is the tracker's own clock in seconds. Positions are
screen pixels, origin top-left, y down. Backends are registered by name with
:func:`study.trackers.register_tracker`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SampleBlock:
    """Gaze samples: 1-D arrays of equal length. Invalid samples have NaN x/y and ``valid=False``."""

    tracker_time: np.ndarray
    system_time: np.ndarray
    x_px: np.ndarray
    y_px: np.ndarray
    pupil: np.ndarray
    valid: np.ndarray

    @classmethod
    def empty(cls) -> SampleBlock:
        e = np.empty(0)
        return cls(e, e, e, e, e, np.empty(0, dtype=bool))

    @classmethod
    def concat(cls, blocks: list[SampleBlock]) -> SampleBlock:
        if not blocks:
            return cls.empty()
        return cls(
            *(
                np.concatenate([getattr(b, f) for b in blocks])
                for f in ("tracker_time", "system_time", "x_px", "y_px", "pupil", "valid")
            )
        )

    def __len__(self) -> int:
        return len(self.system_time)


@dataclass
class TrackerData:
    """What one ``poll()`` returns: samples and events (dicts with at least ``name``,
    ``onset`` and ``duration`` in system-clock seconds)."""

    samples: SampleBlock
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Scene:
    """What is on screen, told to the tracker (only simulated trackers use it).

    ``kind`` is "point" (``point_px``), "stimulus" (``image``: the ``uint8`` RGB pixels of the
    stimulus file, shown covering ``rect``; ``smap``: its target map, for planted observers) or
    "blank".
    """

    kind: str
    point_px: tuple[float, float] | None = None
    smap: np.ndarray | None = None
    rect: tuple[float, float, float, float] | None = None
    image: np.ndarray | None = None


class EyeTracker(ABC):
    """One eye-tracker backend. Subclasses set ``name`` and implement the abstract methods."""

    #: Registry name, set by :func:`study.trackers.register_tracker`.
    name: str = ""
    #: False for trackers whose positions need no calibration (mouse): the session skips
    #: validation and drift checks and records them as skipped.
    needs_calibration: bool = True

    def __init__(self, sampling_rate_hz: float = 1000.0, **settings: Any) -> None:
        self.sampling_rate_hz = float(sampling_rate_hz)
        self.settings = settings
        self.recording = False

    def setup(self, display: Any) -> None:  # noqa: B027 - optional hook
        """Connect to the device; ``display`` gives ``clock()``, ``geometry`` and ``win``."""

    def calibrate(self, display: Any) -> None:  # noqa: B027 - optional hook
        """Run the tracker's own calibration routine (validation is the session's job)."""

    @abstractmethod
    def start_recording(self) -> None:
        """Start streaming samples."""

    @abstractmethod
    def stop_recording(self) -> None:
        """Stop streaming; samples up to now stay available to the next ``poll()``."""

    @abstractmethod
    def poll(self) -> TrackerData:
        """Samples and events since the last poll (the caller must poll at least once a frame)."""

    def send_message(self, text: str, system_time: float | None = None) -> None:  # noqa: B027
        """Write a message into the tracker's own data file (if it keeps one)."""

    def prepare(self, scene: Scene) -> None:  # noqa: B027 - optional hook
        """Told, before a trial starts, a scene it will show (to do slow work outside the trial)."""

    def show(self, scene: Scene, onset: float) -> None:  # noqa: B027 - optional hook
        """Told what appeared on screen at system time ``onset`` (the flip time)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Disconnect; idempotent."""

    def describe(self) -> dict[str, Any]:
        """Name, sampling rate and settings, stored with the session."""
        return {"name": self.name, "sampling_rate_hz": self.sampling_rate_hz, "settings": self.settings}
