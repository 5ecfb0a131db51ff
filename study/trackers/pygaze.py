"""PyGaze eye trackers (``python-pygaze``: EyeLink, Tobii, SMI, EyeTribe, OpenGaze, Alea, dummy).

``pygaze.<trackertype>`` drives PyGaze's ``EyeTracker`` on the session's own PsychoPy window.
PyGaze's API is polling: each ``poll()`` (once a frame) reads the newest sample
(``sample()``, ``pupil_size()``), so the samples stored here come at the frame rate; the
tracker's full-rate data stay in its own file (e.g. the EyeLink EDF, named by the ``logfile``
setting), aligned through the ``TRIALID``/``STIM_ONSET`` messages sent with ``log()``. PyGaze
is imported only in ``setup``. Settings go to PyGaze's ``EyeTracker(display, trackertype, **settings)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from study.trackers import register_tracker
from study.trackers.base import EyeTracker, SampleBlock, TrackerData

PYGAZE_TRACKERS = (
    "eyelink",
    "tobii",
    "tobii-legacy",
    "smi",
    "eyetribe",
    "opengaze",
    "alea",
    "eyelogic",
    "dummy",
)


@register_tracker("pygaze.", examples=PYGAZE_TRACKERS)
class PyGazeTracker(EyeTracker):
    """PyGaze ``EyeTracker`` of type ``device`` (the part of the name after ``pygaze.``)."""

    def __init__(self, device: str, sampling_rate_hz: float = 1000.0, **settings: Any) -> None:
        super().__init__(sampling_rate_hz, **settings)
        self.device = device
        self._tracker = None

    def setup(self, display: Any) -> None:
        if display.win is None:
            raise UserInputError(f"tracker 'pygaze.{self.device}' needs a window")
        try:
            import pygaze
            from pygaze import settings as pg_settings
            from pygaze._display.psychopydisplay import PsychoPyDisplay as PgDisplay
            from pygaze.eyetracker import EyeTracker as PgEyeTracker
        except ImportError as exc:
            raise UserInputError(f"tracker 'pygaze.{self.device}' needs python-pygaze: {exc}") from None
        g = display.geometry
        pg_settings.DISPTYPE = "psychopy"
        pg_settings.DISPSIZE = (g.width_px, g.height_px)
        pg_settings.SCREENSIZE = (g.width_cm, g.height_px / g.px_per_cm)
        pg_settings.SCREENDIST = g.distance_cm
        # Reuse the session's window instead of letting PyGaze open a second one.
        pg_display = PgDisplay.__new__(PgDisplay)
        pg_display.dispsize = (g.width_px, g.height_px)
        pg_display.fgc, pg_display.bgc = pg_settings.FGC, pg_settings.BGC
        pg_display.screennr, pg_display.mousevis, pg_display.monitor = 0, False, None
        pygaze.expdisplay = display.win
        self._clock = display.clock
        self._w, self._h = g.width_px, g.height_px
        try:
            self._tracker = PgEyeTracker(pg_display, trackertype=self.device, **self.settings)
        except Exception as exc:  # vendor SDK missing, device not connected
            raise UserInputError(f"cannot connect to tracker 'pygaze.{self.device}': {exc}") from None

    def calibrate(self, display: Any) -> None:
        self._tracker.calibrate()

    def start_recording(self) -> None:
        self._tracker.start_recording()
        self.recording = True

    def stop_recording(self) -> None:
        self._tracker.stop_recording()
        self.recording = False

    def poll(self) -> TrackerData:
        if not self.recording:
            return TrackerData(SampleBlock.empty())
        x, y = self._tracker.sample()
        pupil = float(self._tracker.pupil_size())
        t = np.array([self._clock()])
        valid = not (x in (-1, None) or y in (-1, None) or pupil <= 0)
        return TrackerData(
            SampleBlock(
                t,
                t,
                np.array([x if valid else np.nan], dtype=float),
                np.array([y if valid else np.nan], dtype=float),
                np.array([pupil if valid else 0.0]),
                np.array([valid]),
            )
        )

    def send_message(self, text: str, system_time: float | None = None) -> None:
        if self._tracker is not None:
            self._tracker.log(text)

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None
