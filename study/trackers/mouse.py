"""Mouse-as-gaze, for piloting a study without an eye tracker: one sample per poll (frame)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from study.trackers.base import EyeTracker, SampleBlock, TrackerData
from study.trackers.registry import register_tracker


@register_tracker("mouse")
class MouseTracker(EyeTracker):
    """The mouse position of the PsychoPy window, sampled at each ``poll()`` (the frame rate).

    Tracker time = system time. Validation and drift checks are skipped (nothing to calibrate).
    """

    needs_calibration = False

    def setup(self, display: Any) -> None:
        if display.win is None:
            raise UserInputError("tracker 'mouse' needs a window; use 'simulated' for runs without one")
        from psychopy import event

        self._mouse = event.Mouse(win=display.win, visible=False)
        self._clock = display.clock
        self._w, self._h = display.geometry.width_px, display.geometry.height_px
        self.sampling_rate_hz = float(display.geometry.refresh_hz)

    def start_recording(self) -> None:
        self.recording = True

    def stop_recording(self) -> None:
        self.recording = False

    def poll(self) -> TrackerData:
        if not self.recording:
            return TrackerData(SampleBlock.empty())
        mx, my = self._mouse.getPos()
        t = np.array([self._clock()])
        return TrackerData(
            SampleBlock(
                t,
                t,
                np.array([mx + self._w / 2]),
                np.array([self._h / 2 - my]),
                np.array([np.nan]),
                np.array([True]),
            )
        )
