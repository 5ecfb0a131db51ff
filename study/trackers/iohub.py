"""PsychoPy ioHub eye trackers (SR Research, Tobii, GazePoint, Pupil Labs, ioHub's MouseGaze).

``iohub.<device class path>``, e.g. ``iohub.eyetracker.hw.sr_research.eyelink.EyeTracker``,
starts an ioHub server for the session window with that device; ``settings`` are the device's
ioHub settings (``runtime_settings``, ``calibration``, ``model_name``, ...). Samples are
ioHub's buffered ``MonocularEyeSampleEvent``/``BinocularEyeSampleEvent`` (full rate; the right
eye of binocular samples is used when the left is missing). ioHub times are on PsychoPy's
clock, so ``system_time`` = the event's ``time`` and ``tracker_time`` = ``device_time``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from study.trackers.base import EyeTracker, SampleBlock, TrackerData
from study.trackers.registry import register_tracker

IOHUB_DEVICES = (
    "eyetracker.hw.sr_research.eyelink.EyeTracker",
    "eyetracker.hw.tobii.EyeTracker",
    "eyetracker.hw.gazepoint.gp3.EyeTracker",
    "eyetracker.hw.pupil_labs.neon.EyeTracker",
    "eyetracker.hw.mouse.EyeTracker",
)


@register_tracker("iohub.", examples=IOHUB_DEVICES)
class IoHubTracker(EyeTracker):
    """An ioHub eye-tracker device, ``device`` being its ioHub class path."""

    def __init__(self, device: str, sampling_rate_hz: float = 1000.0, **settings: Any) -> None:
        super().__init__(sampling_rate_hz, **settings)
        self.device = device
        self._io = None

    def setup(self, display: Any) -> None:
        if display.win is None:
            raise UserInputError(f"tracker 'iohub.{self.device}' needs a window")
        from psychopy.iohub import launchHubServer

        device_settings = {"name": "tracker", **self.settings}
        try:
            self._io = launchHubServer(window=display.win, **{self.device: device_settings})
        except Exception as exc:
            raise UserInputError(f"cannot start ioHub tracker {self.device!r}: {exc}") from None
        self._tracker = self._io.getDevice("tracker")
        self._win = display.win
        self._w, self._h = display.geometry.width_px, display.geometry.height_px

    def calibrate(self, display: Any) -> None:
        self._tracker.runSetupProcedure()

    def start_recording(self) -> None:
        self._tracker.clearEvents()
        self._tracker.setRecordingState(True)
        self.recording = True

    def stop_recording(self) -> None:
        self._tracker.setRecordingState(False)
        self.recording = False

    def poll(self) -> TrackerData:
        from psychopy.iohub.constants import EventConstants as E

        rows, events = [], []
        for ev in self._tracker.getEvents():
            if ev.type == E.MONOCULAR_EYE_SAMPLE:
                rows.append((ev.device_time, ev.time, ev.gaze_x, ev.gaze_y, ev.pupil_measure1))
            elif ev.type == E.BINOCULAR_EYE_SAMPLE:
                left_ok = ev.left_gaze_x == ev.left_gaze_x and ev.left_pupil_measure1 > 0
                rows.append(
                    (
                        ev.device_time,
                        ev.time,
                        ev.left_gaze_x if left_ok else ev.right_gaze_x,
                        ev.left_gaze_y if left_ok else ev.right_gaze_y,
                        ev.left_pupil_measure1 if left_ok else ev.right_pupil_measure1,
                    )
                )
            elif ev.type in (E.FIXATION_END, E.SACCADE_END, E.BLINK_END):
                name = {E.FIXATION_END: "fixation", E.SACCADE_END: "saccade", E.BLINK_END: "blink"}[ev.type]
                events.append({"name": name, "onset": ev.time - ev.duration, "duration": ev.duration})
        if not rows:
            return TrackerData(SampleBlock.empty(), events)
        a = np.asarray(rows, dtype=float)
        # ioHub window coordinates are centred pixels, y up -> top-left, y down
        x, y = a[:, 2] + self._w / 2, self._h / 2 - a[:, 3]
        valid = np.isfinite(x) & np.isfinite(y) & (a[:, 4] > 0)
        x[~valid], y[~valid] = np.nan, np.nan
        return TrackerData(SampleBlock(a[:, 0], a[:, 1], x, y, np.where(valid, a[:, 4], 0.0), valid), events)

    def send_message(self, text: str, system_time: float | None = None) -> None:
        if self._io is not None:
            self._tracker.sendMessage(text)

    def close(self) -> None:
        if self._io is not None:
            try:
                self._tracker.setConnectionState(False)
            finally:
                self._io.quit()
                self._io = None
