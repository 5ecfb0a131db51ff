"""Displays the session draws on: a PsychoPy window, or a virtual one for simulation.

Both share one small interface used by :mod:`study.session`: ``clock()`` (seconds),
``flip()`` (returns the flip time on that clock: PsychoPy's ``win.flip()`` return value),
drawing calls in screen pixels (origin top-left, y down), ``keys()`` (keys pressed since the last
call) and ``wait_key(allowed, timeout_s)``.

Frame pacing: under a display without vertical sync (Xvfb, some VMs), ``win.flip()`` returns at
once and a trial would spin thousands of frames a second. :class:`PsychoPyDisplay` detects this
(median of 10 blank flips at start-up below 3/4 of the nominal period) and then sleeps
so that each flip returns one nominal period after the previous one (allowing for a running
estimate of the flip's own duration); with vsync it never sleeps.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from gazefusion.geometry import DisplayGeometry


class VirtualDisplay:
    """No window: every ``flip()`` advances a virtual clock by exactly one refresh period.

    ``key_events`` are scripted presses ``(frame_number, key)`` returned by ``keys()``;
    ``responses`` are scripted answers of ``wait_key``: it pops the next one if it is allowed,
    else returns the first allowed key at once (an instant participant pressing SPACE).
    """

    win = None

    def __init__(
        self,
        geometry: DisplayGeometry,
        start_s: float = 0.0,
        key_events: Iterable[tuple[int, str]] = (),
        responses: Iterable[str] = (),
    ) -> None:
        self.geometry = geometry
        self._t = float(start_s)
        self._period = 1.0 / geometry.refresh_hz
        self.frame_count = 0
        self._keys = sorted(key_events)
        self._responses = list(responses)

    def clock(self) -> float:
        return self._t

    def flip(self) -> float:
        self._t += self._period
        self.frame_count += 1
        return self._t

    def wait(self, seconds: float) -> None:
        self._t += seconds

    def keys(self) -> list[str]:
        due = [k for f, k in self._keys if f <= self.frame_count]
        self._keys = [(f, k) for f, k in self._keys if f > self.frame_count]
        return due

    def wait_key(self, allowed: tuple[str, ...], timeout_s: float | None = None) -> str:
        if self._responses and self._responses[0] in allowed:
            return self._responses.pop(0)
        return allowed[0]

    def prepare_image(self, path: Path, rect: tuple[float, float, float, float]) -> object:
        return (path, rect)

    def draw_image(self, image: object) -> None:
        pass

    def draw_fixation(self, size_px: float) -> None:
        pass

    def draw_dot(self, x: float, y: float, radius_px: float) -> None:
        pass

    def draw_text(self, text: str) -> None:
        pass

    def screenshot(self, path: str | Path) -> None:
        pass

    def save_screenshots(self) -> None:
        pass

    def close(self) -> None:
        pass


class PsychoPyDisplay:
    """A PsychoPy window in pixel units sized from ``geometry``.

    ``background`` is RGB 0-255. Frame intervals are recorded (``win.recordFrameIntervals``)
    with the drop threshold at 1.5 nominal periods.
    """

    def __init__(
        self,
        geometry: DisplayGeometry,
        fullscr: bool = True,
        background: tuple[int, int, int] = (128, 128, 128),
        screen: int = 0,
    ) -> None:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # psychopy.event imports pygame
        from psychopy import core, event, monitors, visual

        self.geometry = geometry
        self._visual, self._event = visual, event
        mon = monitors.Monitor("gazefusion", width=geometry.width_cm, distance=geometry.distance_cm)
        mon.setSizePix((geometry.width_px, geometry.height_px))
        self.win = visual.Window(
            size=(geometry.width_px, geometry.height_px),
            fullscr=fullscr,
            screen=screen,
            units="pix",
            monitor=mon,
            color=tuple(background),
            colorSpace="rgb255",
            allowGUI=False,
            checkTiming=False,
        )
        self._period = 1.0 / geometry.refresh_hz
        self.win.refreshThreshold = 1.5 * self._period
        self.win.recordFrameIntervals = True
        self.win.mouseVisible = False
        self.clock = core.monotonicClock.getTime
        self._last_flip: float | None = None
        self._flip_cost = 0.0
        self._shots: list[tuple[Path, object]] = []
        self.paced = self._needs_pacing()
        self._cross = visual.ShapeStim(
            self.win, vertices="cross", units="pix", fillColor="black", lineColor="black", size=20
        )
        self._dot = visual.Circle(
            self.win, radius=8, units="pix", fillColor="white", lineColor="black", lineWidth=2
        )
        self._text = visual.TextStim(
            self.win, text="", units="pix", color="white", height=28, wrapWidth=0.8 * geometry.width_px
        )
        event.clearEvents()

    def _to_win(self, x: float, y: float) -> tuple[float, float]:
        return x - self.geometry.width_px / 2, self.geometry.height_px / 2 - y

    def flip(self) -> float:
        if self.paced and self._last_flip is not None:
            delay = self._last_flip + self._period - self._flip_cost - self.clock()
            if delay > 0:
                time.sleep(delay)
        before = self.clock()
        t = self.win.flip()
        if self.paced:  # running estimate of how long a flip takes without vsync
            self._flip_cost = 0.9 * self._flip_cost + 0.1 * min(t - before, self._period / 2)
        self._last_flip = t
        return t

    def _needs_pacing(self) -> bool:
        """True when 10 blank flips take less than 3/4 of the nominal period each (no vsync)."""
        flips = [self.win.flip() for _ in range(11)]
        return float(np.median(np.diff(flips))) < 0.75 * self._period

    def wait(self, seconds: float) -> None:
        from psychopy import core

        core.wait(seconds)

    def keys(self) -> list[str]:
        return self._event.getKeys()

    def wait_key(self, allowed: tuple[str, ...], timeout_s: float | None = None) -> str:
        """The first of ``allowed`` pressed; ``allowed[0]`` once ``timeout_s`` has passed."""
        self._event.clearEvents()
        keys = self._event.waitKeys(
            maxWait=float("inf") if timeout_s is None else timeout_s, keyList=list(allowed)
        )
        return keys[0] if keys else allowed[0]

    def prepare_image(self, path: Path, rect: tuple[float, float, float, float]) -> object:
        left, top, w, h = rect
        return self._visual.ImageStim(
            self.win, image=str(path), units="pix", size=(w, h), pos=self._to_win(left + w / 2, top + h / 2)
        )

    def draw_image(self, image: object) -> None:
        image.draw()

    def draw_fixation(self, size_px: float) -> None:
        self._cross.size = size_px
        self._cross.pos = (0, 0)
        self._cross.draw()

    def draw_dot(self, x: float, y: float, radius_px: float) -> None:
        self._dot.radius = radius_px
        self._dot.pos = self._to_win(x, y)
        self._dot.draw()

    def draw_text(self, text: str) -> None:
        self._text.text = text
        self._text.draw()

    def screenshot(self, path: str | Path) -> None:
        """Grab the back buffer (what the next flip will show; call after drawing); the file is
        written at :meth:`save_screenshots` (after the trial), not inside the frame loop."""
        self._shots.append((Path(path), self.win.getMovieFrame(buffer="back")))
        self.win.movieFrames = []

    def save_screenshots(self) -> None:
        """Write the grabbed screenshots."""
        from gazefusion.utils.atomic import atomic_path

        for path, image in self._shots:
            with atomic_path(path) as tmp:
                image.save(tmp)
        self._shots.clear()

    def close(self) -> None:
        self.win.close()
