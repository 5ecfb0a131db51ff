"""Displays the session draws on: a PsychoPy window, or a virtual one for simulation.

Both share one small interface used by :mod:`study.session`: ``clock()`` (seconds),
``flip()`` (returns the flip time on that clock: PsychoPy's ``win.flip()`` return value),
drawing calls in screen pixels (origin top-left, y down), ``keys()`` (keys pressed since the last
call) and ``wait_key(allowed)``.

Frame pacing: under a display without vertical sync (Xvfb, some VMs), ``win.flip()`` returns at
once and a trial would spin thousands of frames a second. :class:`PsychoPyDisplay` detects this
(median of the first flip intervals below a quarter of the nominal period) and then sleeps to
the nominal refresh period before each flip; with a real vsync it never sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from gazefusion.geometry import DisplayGeometry


class VirtualDisplay:
    """No window: every ``flip()`` advances a virtual clock by exactly one refresh period.

    ``key_events`` are scripted presses ``(frame_number, key)``; ``wait_key`` returns the next
    scripted key that is allowed, else the first allowed key (an instant participant).
    """

    win = None

    def __init__(self, geometry: DisplayGeometry, start_s: float = 0.0,
                 key_events: Iterable[tuple[int, str]] = ()) -> None:
        self.geometry = geometry
        self._t = float(start_s)
        self._period = 1.0 / geometry.refresh_hz
        self.frame_count = 0
        self._keys = sorted(key_events)

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

    def wait_key(self, allowed: tuple[str, ...]) -> str:
        for i, (_, k) in enumerate(self._keys):
            if k in allowed:
                del self._keys[i]
                return k
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

    def dropped_frames(self) -> int:
        return 0

    def close(self) -> None:
        pass


class PsychoPyDisplay:
    """A PsychoPy window in pixel units sized from ``geometry``.

    ``background`` is RGB 0-255. Frame intervals are recorded (``win.recordFrameIntervals``)
    with the drop threshold at 1.5 nominal periods.
    """

    def __init__(self, geometry: DisplayGeometry, fullscr: bool = True,
                 background: tuple[int, int, int] = (128, 128, 128), screen: int = 0) -> None:
        from psychopy import core, event, monitors, visual

        self.geometry = geometry
        self._visual, self._event = visual, event
        mon = monitors.Monitor("gazefusion", width=geometry.width_cm, distance=geometry.distance_cm)
        mon.setSizePix((geometry.width_px, geometry.height_px))
        self.win = visual.Window(size=(geometry.width_px, geometry.height_px), fullscr=fullscr, screen=screen,
                                 units="pix", monitor=mon, color=tuple(background), colorSpace="rgb255",
                                 allowGUI=False, checkTiming=False)
        self._period = 1.0 / geometry.refresh_hz
        self.win.refreshThreshold = 1.5 * self._period
        self.win.recordFrameIntervals = True
        self.win.mouseVisible = False
        self.clock = core.monotonicClock.getTime
        self._last_flip: float | None = None
        self._intervals: list[float] = []
        self._pace: bool | None = None
        self._cross = visual.ShapeStim(self.win, vertices="cross", units="pix", fillColor="black",
                                       lineColor="black", size=20)
        self._dot = visual.Circle(self.win, radius=8, units="pix", fillColor="white", lineColor="black",
                                  lineWidth=2)
        self._text = visual.TextStim(self.win, text="", units="pix", color="white", height=28,
                                     wrapWidth=0.8 * geometry.width_px)
        event.clearEvents()

    def _to_win(self, x: float, y: float) -> tuple[float, float]:
        return x - self.geometry.width_px / 2, self.geometry.height_px / 2 - y

    def flip(self) -> float:
        if self._pace and self._last_flip is not None:
            delay = self._last_flip + self._period - 0.0005 - self.clock()
            if delay > 0:
                time.sleep(delay)
        t = self.win.flip()
        if self._last_flip is not None:
            self._intervals.append(t - self._last_flip)
            if self._pace is None and len(self._intervals) >= 10:
                self._pace = float(np.median(self._intervals)) < 0.25 * self._period
        self._last_flip = t
        return t

    def wait(self, seconds: float) -> None:
        from psychopy import core

        core.wait(seconds)

    def keys(self) -> list[str]:
        return self._event.getKeys()

    def wait_key(self, allowed: tuple[str, ...]) -> str:
        self._event.clearEvents()
        while True:
            keys = self._event.getKeys(keyList=list(allowed))
            if keys:
                return keys[0]
            self.flip()

    def prepare_image(self, path: Path, rect: tuple[float, float, float, float]) -> object:
        left, top, w, h = rect
        return self._visual.ImageStim(self.win, image=str(path), units="pix", size=(w, h),
                                      pos=self._to_win(left + w / 2, top + h / 2))

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

    def dropped_frames(self) -> int:
        return int(self.win.nDroppedFrames)

    def screenshot(self, path: str | Path) -> None:
        """Save the front buffer (what is on screen now) as an image file."""
        frame = self.win.getMovieFrame(buffer="front")
        frame.save(str(path))
        self.win.movieFrames = []

    def close(self) -> None:
        self.win.close()
