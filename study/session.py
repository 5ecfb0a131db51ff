"""One participant's session: calibration, validation, drift checks, trials, pauses, recording.

Procedure (see ``docs/study.md``): instructions -> calibration + validation (repeated up to
``max_attempts`` while the mean error exceeds ``threshold_deg``) -> practice trials -> main
trials, each: [drift check] -> fixation cross -> stimulus -> blank inter-trial interval
[-> break]. Recording runs from the fixation cross to the end of the interval; everything of a
trial is stored in one transaction when it ends. Escape during a trial pauses: the trial in
progress is discarded; "c" restarts it, "q" stops the session (resume later with ``--resume``).

Stimulus onset/offset are the return values of ``flip()`` (PsychoPy's ``win.flip()`` time).
Dropped frames are flip intervals longer than 1.5 nominal periods (each counts as
``round(interval / period) - 1`` frames).
"""

from __future__ import annotations

import math
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gazefusion.utils.images import read_rgb
from study.config import StudyConfig
from study.design import TrialSpec, plan_trials
from study.stimuli import image_size, load_target_smap, stimulus_rect
from study.storage import StudyStore, TrialRecord
from study.trackers.base import EyeTracker, SampleBlock, Scene, TrackerData

PAUSE_TEXT = "Paused.\n\nPress C to continue (the current trial restarts) or Q to quit."
RESUME_TEXT = "Welcome back. Press SPACE to continue where you left off."


class SessionStopped(Exception):
    """The experimenter chose to quit from the pause screen."""


class CalibrationFailed(Exception):
    """Validation failed ``max_attempts`` times and ``abort_on_failure`` is set."""


class _RestartTrial(Exception):
    pass


@dataclass
class SessionResult:
    """Outcome of :meth:`Session.run`."""

    session_id: int
    status: str
    trials_run: int
    trials_complete: int
    trials_total: int
    n_samples: int
    dropped_frames: int


def calibration_targets(n: int, width: int, height: int) -> list[tuple[float, float]]:
    """Calibration/validation targets in screen pixels: 3, 5, 9 (3x3 at 10/50/90 %) or 13 points."""
    f = {
        3: [(0.5, 0.5), (0.1, 0.1), (0.9, 0.9)],
        5: [(0.5, 0.5), (0.1, 0.1), (0.9, 0.1), (0.1, 0.9), (0.9, 0.9)],
        9: [(x, y) for y in (0.1, 0.5, 0.9) for x in (0.1, 0.5, 0.9)],
    }
    f[13] = f[9] + [(0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7)]
    return [(fx * width, fy * height) for fx, fy in f[n]]


class _Recording:
    """Accumulates one trial's (or one validation's) data."""

    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.events: list[dict] = []
        self.messages: list[tuple[float, str]] = []
        self.frames: list[tuple[float, str]] = []

    def add(self, data: TrackerData) -> None:
        if len(data.samples):
            self.blocks.append(data.samples)
        self.events.extend(data.events)

    def samples(self) -> SampleBlock:
        return SampleBlock.concat(self.blocks)


class Session:
    """Runs one participant's session on ``display`` with ``tracker``, storing into ``store``.

    ``on_trial(spec, record)`` is called after each stored trial (the CLI logs a line per trial); ``log`` gets
    one-line status messages; ``screenshot`` is a path where the first main stimulus screen is
    saved (PsychoPy displays only).
    """

    def __init__(
        self,
        config: StudyConfig,
        store: StudyStore,
        display: Any,
        tracker: EyeTracker,
        participant: str,
        session: str = "1",
        *,
        resume: bool = False,
        on_trial: Callable[[TrialSpec, TrialRecord], None] | None = None,
        log: Callable[[str], None] = lambda msg: None,
        screenshot: str | Path | None = None,
    ) -> None:
        self.config, self.store, self.display, self.tracker = config, store, display, tracker
        self.participant, self.session, self.resume = participant, session, resume
        self.on_trial, self.log, self.screenshot = on_trial, log, screenshot
        self.geometry = config.display
        self.period = 1.0 / self.geometry.refresh_hz
        self.plan = plan_trials(config, participant, session)
        self._stim = {s.id: s for s in (*config.practice, *config.stimuli)}

    # -- public -------------------------------------------------------------------------------
    def run(self) -> SessionResult:
        """Run (or resume) the session; returns its outcome. The store keeps the status."""
        from gazefusion import __version__

        software = {
            "gazefusion": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "numpy": np.__version__,
            "display": type(self.display).__name__,
        }
        # set up first: the stored description then has the rate of the stored samples (per-frame
        # trackers learn it from the display)
        self.tracker.setup(self.display)
        try:
            self.session_id, done = self.store.start_session(
                self.participant,
                self.session,
                plan=[p.to_dict() for p in self.plan],
                config=self.config.to_json(),
                tracker=self.tracker.describe(),
                display=self.geometry.to_json(),
                software=software,
                resume=self.resume,
            )
        except BaseException:
            self.tracker.close()
            raise
        todo = [p for p in self.plan if p.index not in done]
        stats = {"run": 0, "samples": 0, "dropped": 0}
        status = "crashed"
        try:
            self._text(RESUME_TEXT if done else self.config.text.instructions)
            before = todo[0].index if todo else len(self.plan)
            self._calibrate(before)
            was_practice = bool(todo) and todo[0].practice
            for spec in todo:
                if was_practice and not spec.practice:
                    self._text(self.config.text.practice_done)
                was_practice = spec.practice
                if spec.drift_check:
                    self._drift_check(spec.index)
                rec = self._trial(spec)
                self.store.write_trial(self.session_id, rec, self.geometry)
                self.display.save_screenshots()
                stats["run"] += 1
                stats["samples"] += len(rec.samples)
                stats["dropped"] += rec.timing["n_dropped"]
                if self.on_trial:
                    self.on_trial(spec, rec)
                if spec.break_after:
                    self._text(self.config.text.break_text)
            self._text(self.config.text.end, keys=("space",), wait=False)
            status = "complete"
        except SessionStopped:
            status = "stopped"
            self.log("session stopped by the experimenter; continue later with --resume")
        except CalibrationFailed as exc:
            status = "calibration_failed"
            self.log(str(exc))
        except KeyboardInterrupt:
            status = "stopped"
            raise
        finally:
            self.store.finish_session(self.session_id, status)
            self.tracker.close()
        complete = len(self.store.completed_trials(self.session_id))
        return SessionResult(
            self.session_id,
            status,
            stats["run"],
            complete,
            len(self.plan),
            stats["samples"],
            stats["dropped"],
        )

    # -- screens ------------------------------------------------------------------------------
    def _text(self, text: str, keys: tuple[str, ...] = ("space",), wait: bool = True) -> None:
        self.display.draw_text(text)
        self.display.flip()
        auto = self.config.text.auto_advance_s
        if not wait:  # shown for 1 s (or auto_advance_s)
            self.display.wait(min(1.0, auto) if auto > 0 else 1.0)
            return
        key = self.display.wait_key((*keys, "escape"), timeout_s=auto if auto > 0 else None)
        if key == "escape":
            self._pause_menu()
            self._text(text, keys)

    def _pause_menu(self) -> None:
        self.display.draw_text(PAUSE_TEXT)
        self.display.flip()
        if self.display.wait_key(("c", "q")) == "q":
            raise SessionStopped

    def _check_escape(self) -> None:
        if "escape" in self.display.keys():
            self.tracker.stop_recording()
            self.tracker.poll()
            self._pause_menu()
            raise _RestartTrial

    # -- calibration --------------------------------------------------------------------------
    def _calibrate(self, before_trial: int) -> None:
        cal = self.config.calibration
        if not self.tracker.needs_calibration:
            self.store.write_calibration(
                self.session_id,
                kind="validation",
                attempt=1,
                before_trial=before_trial,
                system_time=self.display.clock(),
                mean_error_deg=None,
                max_error_deg=None,
                passed=None,
                status="skipped",
                points=[],
            )
            return
        for attempt in range(1, cal.max_attempts + 1):
            self.tracker.calibrate(self.display)
            targets = calibration_targets(cal.points, self.geometry.width_px, self.geometry.height_px)
            mean_err, passed = self._validate(
                "validation", targets, cal.threshold_deg, cal.point_s, attempt, before_trial
            )
            self.log(
                f"validation attempt {attempt}: mean error {mean_err:.2f} deg "
                f"({'passed' if passed else 'failed'}, threshold {cal.threshold_deg} deg)"
            )
            if passed:
                return
        msg = f"validation failed {cal.max_attempts} times (threshold {cal.threshold_deg} deg)"
        if cal.abort_on_failure:
            raise CalibrationFailed(msg)
        self.log(msg + "; continuing with the last calibration (recorded as failed)")

    def _drift_check(self, before_trial: int) -> None:
        cal = self.config.calibration
        if not self.tracker.needs_calibration:
            return
        centre = [(self.geometry.width_px / 2, self.geometry.height_px / 2)]
        err, passed = self._validate(
            "drift", centre, cal.drift_threshold_deg, cal.drift_check_s, 1, before_trial
        )
        if not passed:
            self.log(
                f"drift check before trial {before_trial}: {err:.2f} deg > {cal.drift_threshold_deg}; "
                "recalibrating"
            )
            self._calibrate(before_trial)

    def _validate(
        self,
        kind: str,
        targets: list[tuple[float, float]],
        threshold: float,
        point_s: float,
        attempt: int,
        before_trial: int,
    ) -> tuple[float, bool]:
        """Show each target for ``point_s``; the error of a target is the angular distance between
        it and the median valid gaze of the second half of its display time."""
        g = self.geometry
        rec = _Recording()
        points = []
        radius = max(4.0, g.deg_to_px(0.25))
        self.tracker.start_recording()
        for x, y in targets:

            def draw(x=x, y=y) -> None:
                self.display.draw_dot(x, y, radius)

            onset = self._phase(
                rec, "target", draw, point_s, Scene("point", point_px=(x, y)), check_escape=False
            )
            s = rec.samples()
            m = (s.system_time >= onset + point_s / 2) & s.valid
            if m.any():
                gx, gy = float(np.median(s.x_px[m])), float(np.median(s.y_px[m]))
                (tx, gxd), (ty, gyd) = g.pos_px_to_deg(np.array([x, gx]), np.array([y, gy]))
                err = float(math.hypot(gxd - tx, gyd - ty))
            else:
                gx = gy = err = float("nan")
            points.append(
                {
                    "x_px": x,
                    "y_px": y,
                    "gaze_x_px": gx,
                    "gaze_y_px": gy,
                    "error_deg": err,
                    "n_samples": int(m.sum()),
                }
            )
            rec.blocks.clear()
        self.tracker.stop_recording()
        self.tracker.poll()
        errors = np.array([p["error_deg"] for p in points])
        mean_err = float(np.mean(errors)) if np.all(np.isfinite(errors)) else float("inf")
        passed = mean_err <= threshold
        self.store.write_calibration(
            self.session_id,
            kind=kind,
            attempt=attempt,
            before_trial=before_trial,
            system_time=self.display.clock(),
            mean_error_deg=mean_err if math.isfinite(mean_err) else None,
            max_error_deg=float(np.max(errors)) if np.all(np.isfinite(errors)) else None,
            passed=passed,
            status="ok",
            points=points,
        )
        return mean_err, passed

    # -- trials -------------------------------------------------------------------------------
    def _phase(
        self,
        rec: _Recording,
        phase: str,
        draw: Callable[[], None],
        duration: float,
        scene: Scene,
        check_escape: bool = True,
    ) -> float:
        """Show one screen for ``duration`` s, i.e. ``round(duration * refresh)`` frames (at least
        one); returns its onset flip time. The next screen's first flip ends it."""
        draw()
        onset = self.display.flip()
        rec.frames.append((onset, phase))
        self.tracker.show(scene, onset)
        rec.add(self.tracker.poll())
        last = onset
        while last - onset + self.period < duration - 0.5 * self.period:
            if check_escape:
                self._check_escape()
            draw()
            last = self.display.flip()
            rec.frames.append((last, phase))
            rec.add(self.tracker.poll())
        return onset

    def _message(self, rec: _Recording, t: float, text: str) -> None:
        rec.messages.append((t, text))
        self.tracker.send_message(text, t)

    def _trial(self, spec: TrialSpec) -> TrialRecord:
        stim = self._stim[spec.stimulus_id]
        path = self.config.resolve(stim.image)
        size = image_size(path)
        rect = stimulus_rect(self.config, size)
        smap = load_target_smap(self.config, stim, size)
        image = self.display.prepare_image(path, rect)
        # what is on screen, for simulated trackers: the file's pixels and the target smap
        stim_scene = Scene("stimulus", smap=smap, rect=rect, image=read_rgb(path))
        self.tracker.prepare(stim_scene)
        restarts = 0
        while True:
            try:
                return self._run_trial(spec, image, stim_scene, restarts)
            except _RestartTrial:
                restarts += 1
                self.log(f"trial {spec.index} restarted after a pause")

    def _run_trial(self, spec: TrialSpec, image: object, stim_scene: Scene, restarts: int) -> TrialRecord:
        t = self.config.trials
        g = self.geometry
        rec = _Recording()
        centre = (g.width_px / 2, g.height_px / 2)
        self.tracker.start_recording()
        self._message(rec, self.display.clock(), f"TRIALID {spec.index} {spec.stimulus_id}")
        cross = g.deg_to_px(t.fixation_cross_deg)
        fix_on = self._phase(
            rec,
            "fixation",
            lambda: self.display.draw_fixation(cross),
            t.fixation_s,
            Scene("point", point_px=centre),
        )
        self._message(rec, fix_on, "FIXATION_ONSET")
        rect = stim_scene.rect

        def draw_stimulus() -> None:
            self.display.draw_image(image)
            if self.screenshot and not spec.practice:  # the onset frame, before its flip
                self.display.screenshot(self.screenshot)
                self.screenshot = None

        stim_on = self._phase(rec, "stimulus", draw_stimulus, t.stimulus_s, stim_scene)
        self._message(rec, stim_on, f"STIM_ONSET {spec.stimulus_id}")
        stim_off = self._phase(rec, "iti", lambda: None, t.iti_s, Scene("blank"))
        self._message(rec, stim_off, f"STIM_OFFSET {spec.stimulus_id}")
        self.tracker.stop_recording()
        rec.add(self.tracker.poll())
        end = self.display.clock()
        self._message(rec, end, "TRIAL_END")
        flips = np.array([f for f, _ in rec.frames])
        iv = np.diff(flips)
        dropped = int(np.sum(np.maximum(np.round(iv[iv > 1.5 * self.period] / self.period) - 1, 1)))
        timing = {
            "fixation_onset": fix_on,
            "stimulus_onset": stim_on,
            "stimulus_offset": stim_off,
            "trial_end": end,
            "stim_left": rect[0],
            "stim_top": rect[1],
            "stim_width": rect[2],
            "stim_height": rect[3],
            "n_frames": len(flips),
            "n_stimulus_frames": sum(p == "stimulus" for _, p in rec.frames),
            "frame_interval_mean_s": float(iv.mean()) if iv.size else None,
            "frame_interval_sd_s": float(iv.std()) if iv.size else None,
            "frame_interval_max_s": float(iv.max()) if iv.size else None,
            "n_dropped": dropped,
            "restarts": restarts,
        }
        return TrialRecord(
            spec=spec.to_dict(),
            timing=timing,
            samples=rec.samples(),
            events=rec.events,
            messages=rec.messages,
            frames=rec.frames,
        )
