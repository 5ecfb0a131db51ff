"""PyGaze eye trackers (``python-pygaze``: EyeLink, Tobii, SMI, EyeTribe, OpenGaze, Alea, EyeLogic, dummies).

``pygaze.<trackertype>`` drives PyGaze's ``EyeTracker`` on the session's own PsychoPy window.
PyGaze's ``Display`` always opens a new window, so none is made: PyGaze's PsychoPy classes draw
on the module global ``pygaze.expdisplay``, which is pointed at our window, and the tracker gets a
PyGaze ``PsychoPyDisplay`` built without its constructor (``dispsize``, ``fill()``, ``show()``
are all PyGaze's backends use of it).

Settings (``[tracker.settings]``): UPPER-CASE keys are PyGaze's global settings (what a
``constants.py`` would hold: ``LOGFILENAME``, ``EYELINKCALBEEP``, ``BGC``, ...); other keys go to
``EyeTracker(display, trackertype, **kwargs)`` (e.g. ``data_file`` for EyeLink). ``DISPTYPE``,
``DISPSIZE``, ``SCREENSIZE`` and ``SCREENDIST`` come from ``[display]``; ``TRACKERTYPE`` and
``DUMMYMODE`` from the tracker name (``pygaze.dummy``: the mouse is the gaze; ``pygaze.dumbdummy``:
a fixed position). ``BGC`` defaults to the window's background. PyGaze reads some settings as
default arguments when its modules are first imported, so one process should use one geometry.

Samples: PyGaze's API is polling, so each ``poll()`` (once a frame) stores the newest sample
(``sample()``, ``pupil_size()``) at the frame rate, stamped with the session clock (PyGaze gives
no sample time: ``tracker_time`` = ``system_time``); ``sampling_rate_hz`` becomes the display's
refresh rate in ``setup`` (the device's rate is kept as ``device_sampling_rate_hz``). The full-rate
data stay in the tracker's own file (e.g. the EyeLink EDF), aligned through the messages sent with
``log()`` (``TRIALID``, ``STIM_ONSET``, ...). Invalid: no position, PyGaze's ``(-1, -1)``, pylink's
``MISSING_DATA`` or a dummy "blink" (right mouse button held). PyGaze needs ``pygame`` (its
sounds) and is imported only in ``setup``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from study.trackers.base import EyeTracker, SampleBlock, TrackerData
from study.trackers.registry import register_tracker

#: PyGaze's tracker types (``pygaze.eyetracker.EyeTracker``'s ``trackertype``).
PYGAZE_TRACKERS = (
    "eyelink",
    "tobii",
    "tobii-legacy",
    "tobiiglasses",
    "smi",
    "eyetribe",
    "opengaze",
    "alea",
    "eyelogic",
    "dummy",
    "dumbdummy",
)
#: PyGaze settings set by the adapter from ``[display]`` and the tracker name.
RESERVED_SETTINGS = ("DISPTYPE", "DISPSIZE", "SCREENSIZE", "SCREENDIST", "TRACKERTYPE", "DUMMYMODE")
#: pylink's ``MISSING_DATA``: the value of a missing gaze coordinate in EyeLink samples.
_EYELINK_MISSING = -32768.0


@register_tracker("pygaze.", examples=PYGAZE_TRACKERS)
class PyGazeTracker(EyeTracker):
    """PyGaze ``EyeTracker`` of type ``device`` (the part of the name after ``pygaze.``)."""

    def __init__(self, device: str, sampling_rate_hz: float = 1000.0, **settings: Any) -> None:
        super().__init__(sampling_rate_hz, **settings)
        reserved = sorted(k for k in settings if k in RESERVED_SETTINGS)
        if reserved:
            raise UserInputError(
                f"[tracker.settings] of 'pygaze.{device}' must not set {reserved}: they come from "
                "[display] and the tracker name"
            )
        self.device = device
        self.device_sampling_rate_hz = float(sampling_rate_hz)
        self._tracker = None

    def setup(self, display: Any) -> None:
        if display.win is None:
            raise UserInputError(f"tracker 'pygaze.{self.device}' needs a window")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygaze
            from pygaze import settings as pg_settings  # the Settings object, not the module
        except ImportError as exc:
            raise UserInputError(f"tracker 'pygaze.{self.device}' needs python-pygaze: {exc}") from None
        g = display.geometry
        # before PyGaze's display/time modules are imported: they read DISPTYPE on import
        pg_settings.DISPTYPE = "psychopy"
        pg_settings.DUMMYMODE = False
        pg_settings.TRACKERTYPE = self.device
        pg_settings.DISPSIZE = (g.width_px, g.height_px)
        pg_settings.SCREENSIZE = (g.width_cm, g.height_px / g.px_per_cm)
        pg_settings.SCREENDIST = g.distance_cm
        pg_settings.BGC = _window_rgb255(display.win)
        kwargs = {}
        for key, value in self.settings.items():
            if key.isupper():  # PyGaze's global settings
                setattr(pg_settings, key, tuple(value) if isinstance(value, list) else value)
            else:
                kwargs[key] = value
        try:
            from pygaze._display.psychopydisplay import PsychoPyDisplay as PgDisplay
            from pygaze.eyetracker import EyeTracker as PgEyeTracker

            pygaze.expdisplay = display.win
            pg_display = PgDisplay.__new__(PgDisplay)
            pg_display.dispsize = (g.width_px, g.height_px)
            pg_display.fgc, pg_display.bgc = pg_settings.FGC, pg_settings.BGC
            pg_display.screennr, pg_display.mousevis, pg_display.monitor = 0, False, None
            self._tracker = PgEyeTracker(pg_display, trackertype=self.device, **kwargs)
        except Exception as exc:  # vendor SDK or pygame missing, device not connected, bad kwargs
            hint = " (pip install pygame: PyGaze needs it)" if "pygame" in str(exc) else ""
            raise UserInputError(f"cannot start tracker 'pygaze.{self.device}': {exc}{hint}") from None
        self._clock = display.clock
        self.sampling_rate_hz = float(g.refresh_hz)

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
        pos = self._tracker.sample()
        pupil = self._tracker.pupil_size()
        t = np.array([self._clock()])
        x, y = (None, None) if pos is None else pos
        valid = _valid_position(x, y) and not getattr(self._tracker, "blinking", False)
        pupil_ok = pupil is not None and math.isfinite(pupil) and pupil > 0
        return TrackerData(
            SampleBlock(
                t,
                t,
                np.array([float(x) if valid else np.nan]),
                np.array([float(y) if valid else np.nan]),
                np.array([(float(pupil) if pupil_ok else np.nan) if valid else 0.0]),
                np.array([valid]),
            )
        )

    def send_message(self, text: str, system_time: float | None = None) -> None:
        if self._tracker is not None:
            self._tracker.log(text)

    def close(self) -> None:
        if self._tracker is not None:
            import pygaze

            self._tracker.close()
            self._tracker = None
            pygaze.expdisplay = None
        self.recording = False

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "device_sampling_rate_hz": self.device_sampling_rate_hz}


def _window_rgb255(win: Any) -> tuple[int, int, int]:
    """The window's background colour as RGB 0-255 (PyGaze's colour convention)."""
    from psychopy.colors import Color

    return tuple(int(round(float(c))) for c in Color(win.color, win.colorSpace).rgb255)


def _valid_position(x: Any, y: Any) -> bool:
    """False for a missing position, PyGaze's "no sample" ``(-1, -1)`` and EyeLink's missing data."""
    if x is None or y is None:
        return False
    x, y = float(x), float(y)
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return (x, y) != (-1.0, -1.0) and _EYELINK_MISSING not in (x, y)
