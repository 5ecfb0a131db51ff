"""A simulated eye tracker: a :class:`~study.observer.SimulatedObserver` sampled in real time.

Samples are generated lazily on ``poll()`` for every sample time since recording started
(``t0 + k / rate``), so none is ever skipped, whatever the frame rate. Each ``show()`` of a new
scene starts a new observer at its flip time: a point (fixation cross, calibration target) is
fixated; a stimulus is free-viewed; a blank screen is viewed at its centre. ``observer_mode``
says what a stimulus is viewed by: ``"image"`` (default) the displayed pixels, through a registry
saliency model (``saliency_model``; default :func:`~study.observer.default_saliency_model`);
``"planted"`` the stimulus' target smap itself (an effect planted on purpose: tests of the
analysis, never evidence about the images). Each tracker (one per simulated participant) is a
seeded variant of the population observer (``traits_seed`` from ``seed``).
The accuracy offset keeps its size; its direction is redrawn at each ``calibrate()``.
Fixation, saccade and blink events of a scene are reported when the scene ends (a fixation
that spans a scene change is reported as two). Scenes shown while not recording are ignored.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.utils.seeds import seed_sequence
from study.observer import (
    SimulatedObserver,
    british_spelling,
    default_saliency_model,
    priority_from_image,
    pupil_mm,
)
from study.trackers.base import EyeTracker, SampleBlock, Scene, TrackerData
from study.trackers.registry import register_tracker

#: What a stimulus is viewed by (``observer_mode`` setting); the first is the default.
OBSERVER_MODES = ("image", "planted")
#: Settings passed on to every :class:`SimulatedObserver`, with the observer's defaults.
_OBSERVER_DEFAULTS = {
    name: inspect.signature(SimulatedObserver).parameters[name].default
    for name in ("accuracy_offset_deg", "noise_deg", "centre_bias_weight", "blink_rate_hz")
}


@register_tracker("simulated")
class SimulatedTracker(EyeTracker):
    """Settings: ``observer_mode`` ("image" or "planted"), ``saliency_model`` (image mode; default
    ``emlnet`` if its weights are present, else ``itti-koch``), ``accuracy_offset_deg`` (0.5),
    ``noise_deg`` (0.05), ``centre_bias_weight`` (0.3; ``center_bias_weight`` is accepted too), ``blink_rate_hz`` (0.25), ``seed`` (0),
    ``tracker_clock_offset_s`` (1000: the tracker clock reads system time + this)."""

    def __init__(
        self,
        sampling_rate_hz: float = 1000.0,
        *,
        seed: int = 0,
        tracker_clock_offset_s: float = 1000.0,
        observer_mode: str = OBSERVER_MODES[0],
        saliency_model: str | None = None,
        **settings: Any,
    ) -> None:
        if observer_mode not in OBSERVER_MODES:
            raise UserInputError(
                f"[tracker.settings] observer_mode: expected one of {', '.join(OBSERVER_MODES)}, "
                f"got {observer_mode!r}"
            )
        if observer_mode == "image":
            saliency_model = saliency_model or default_saliency_model()
        # the observer's own settings, with its defaults (one source: SimulatedObserver's signature)
        settings = british_spelling(settings)
        observer = {name: settings.pop(name, default) for name, default in _OBSERVER_DEFAULTS.items()}
        super().__init__(
            sampling_rate_hz,
            observer_mode=observer_mode,
            saliency_model=saliency_model,
            **observer,
            seed=seed,
            tracker_clock_offset_s=tracker_clock_offset_s,
            **settings,
        )
        self.observer_mode = observer_mode
        self.saliency_model = saliency_model
        self._obs_kwargs = dict(observer, sampling_rate_hz=sampling_rate_hz)
        self._ss = np.random.SeedSequence(seed)
        self._traits_seed = seed_sequence(seed, 0)  # this participant's traits
        self._noise_rng = np.random.default_rng(self._ss.spawn(1)[0])
        self._offset_angle = 0.0
        self._clock_offset = float(tracker_clock_offset_s)
        self._scene_count = 0
        self._segments: list[tuple[float, SimulatedObserver]] = []
        self._pending_events: list[dict] = []
        self.n_generated = 0

    def setup(self, display: Any) -> None:
        self._clock = display.clock
        self._geometry = display.geometry
        self._last_point = (display.geometry.width_px / 2, display.geometry.height_px / 2)
        self.calibrate(display)

    def calibrate(self, display: Any) -> None:
        self._offset_angle = float(np.random.default_rng(self._next_seed()).uniform(0, 2 * math.pi))

    def _next_seed(self) -> np.random.SeedSequence:
        self._scene_count += 1
        return seed_sequence(self._ss.entropy, self._scene_count)

    def _observer(self, scene: Scene) -> SimulatedObserver:
        kw = dict(self._obs_kwargs, seed=self._next_seed(), offset_angle_rad=self._offset_angle)
        if scene.kind == "point":
            self._last_point = scene.point_px
            return SimulatedObserver.looking_at(scene.point_px, self._geometry, **kw)
        if scene.kind == "stimulus":
            kw.update(stimulus_rect=scene.rect, start_px=self._last_point, traits_seed=self._traits_seed)
            if self.observer_mode == "planted":
                return SimulatedObserver.planted(scene.smap, self._geometry, **kw)
            return SimulatedObserver.from_image(
                self._scene_image(scene), self._geometry, saliency_model=self.saliency_model, **kw
            )
        centre = (self._geometry.width_px / 2, self._geometry.height_px / 2)
        return SimulatedObserver.looking_at(centre, self._geometry, **kw)

    def start_recording(self) -> None:
        self._t0 = self._clock()
        self._next_index = 0
        self._t_stop: float | None = None
        # each recording starts with the observer looking where it looked last
        self._segments = [(self._t0, self._observer(Scene("point", point_px=self._last_point)))]
        self.recording = True

    def stop_recording(self) -> None:
        self._t_stop = self._clock()
        self.recording = False
        self._close_segment(self._t_stop)

    def _scene_image(self, scene: Scene) -> np.ndarray:
        if scene.image is None:
            raise UserInputError(
                "simulated tracker (observer_mode = 'image'): the stimulus scene carries no image pixels"
            )
        return scene.image

    def prepare(self, scene: Scene) -> None:
        if scene.kind == "stimulus" and self.observer_mode == "image":  # the slow saliency, cached
            priority_from_image(self._scene_image(scene), scene.rect[2:], self.saliency_model)

    def show(self, scene: Scene, onset: float) -> None:
        if not self.recording:
            return
        self._close_segment(onset)
        self._segments.append((onset, self._observer(scene)))

    def _close_segment(self, end: float) -> None:
        """Report the events of the current scene, from its onset to ``end``."""
        if not self._segments:
            return
        onset, obs = self._segments[-1]
        if end <= onset:
            return
        ev = obs.events(end - onset)
        for row in ev.to_dict("records"):
            row["onset"] = onset + row.pop("onset_s")
            row["duration"] = row.pop("duration_s")
            self._pending_events.append({k: v for k, v in row.items() if not _isnan(v)})

    def poll(self) -> TrackerData:
        if not hasattr(self, "_t0"):
            return TrackerData(SampleBlock.empty())
        now = self._clock() if self._t_stop is None else self._t_stop
        last = int(math.floor((now - self._t0) * self.sampling_rate_hz + 1e-9))
        idx = np.arange(self._next_index, last + 1)
        self._next_index = last + 1
        t = self._t0 + idx / self.sampling_rate_hz
        x, y, valid = np.full(t.size, np.nan), np.full(t.size, np.nan), np.zeros(t.size, bool)
        onsets = np.array([s[0] for s in self._segments])
        which = np.searchsorted(onsets, t, side="right") - 1
        for k in np.unique(which):
            m = which == k
            k0 = max(int(k), 0)
            x[m], y[m], valid[m] = self._segments[k0][1].gaze_at(
                t[m] - self._segments[k0][0], self._noise_rng
            )
        # keep only the segments still needed
        if len(self._segments) > 1:
            self._segments = self._segments[max(int(which.max()), 0) if t.size else 0 :]
        self.n_generated += t.size
        events, self._pending_events = self._pending_events, []
        return TrackerData(
            SampleBlock(t + self._clock_offset, t, x, y, pupil_mm(t, self._noise_rng, valid), valid), events
        )


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)
