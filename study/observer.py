"""A simulated observer: realistic gaze samples of someone free-viewing a stimulus.

Model (defaults are textbook values of scene viewing, documented in ``docs/study.md``):

- **Where**: fixation targets are drawn independently from the mixture
  ``(1 - w) * smap / sum(smap) + w * centre_bias``, where the centre bias is a Gaussian at the
  stimulus centre with standard deviations ``center_bias_sigma_frac`` of the stimulus width and
  height (``w = center_bias_weight``). The first fixation is at ``start_px`` (default: the
  stimulus centre, where the fixation cross was).
- **How long**: fixation durations follow a gamma distribution (mean ``fixation_mean_s`` =
  0.25 s, shape ``fixation_shape`` = 4, so SD = 0.125 s), at least 50 ms.
- **Saccades** follow the main sequence: duration ``2.2 ms/deg * A + 21 ms`` (Carpenter 1988)
  and a minimum-jerk position profile, so peak velocity is ``1.875 A / D`` (~430 deg/s at 10 deg).
- **Measurement**: a constant accuracy offset of ``accuracy_offset_deg`` in a seeded random
  direction, white Gaussian noise of SD ``noise_deg`` per axis, blinks as a Poisson process of
  ``blink_rate_hz`` with durations uniform in 100-250 ms, during which samples are invalid
  (x, y = NaN, pupil = 0, ``valid`` = False).

Positions are screen pixels (origin top-left, y down); every pixel<->degree conversion goes
through :class:`~gazefusion.geometry.DisplayGeometry`. The smap covers ``stimulus_rect`` =
(left, top, width, height) on screen, by default its own size centred on the screen (scaled
down to fit if larger). Results are deterministic for a ``seed``; ``fixations(d)``,
``events(d)`` and ``samples(d)`` describe the same simulated viewing.
"""

from __future__ import annotations

import math

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry

_FIXATION, _SACCADE = 0, 1
MIN_FIXATION_S = 0.05
CENTER_BIAS_SIGMA_FRAC = 0.25


def _min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile on [0, 1]."""
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def saccade_duration_s(amplitude_deg: np.ndarray | float) -> np.ndarray | float:
    """Main-sequence saccade duration (s) for an amplitude in degrees: 2.2 ms/deg * A + 21 ms."""
    return (2.2 * np.asarray(amplitude_deg) + 21.0) / 1000.0


class SimulatedObserver:
    """Gaze of a simulated observer viewing a stimulus whose saliency map is ``smap``.

    Parameters
    ----------
    smap : float array (H, W), >= 0, not all zero (any scale; it is normalised to a density).
    geometry : the display; fixes pixels per degree and the screen size.
    center_bias_weight : weight ``w`` in [0, 1] of the centre-bias Gaussian (default 0.3).
    accuracy_offset_deg : magnitude of the constant measurement offset (default 0.5 deg).
    noise_deg : SD of per-sample white noise per axis (default 0.05 deg).
    sampling_rate_hz : samples per second (default 1000).
    blink_rate_hz : blinks per second (default 0.25, i.e. 15/min).
    seed : seed of everything random.
    stimulus_rect : (left, top, width, height) in screen pixels covered by the smap.
    start_px : (x, y) of the first fixation; default the stimulus centre.
    offset_angle_rad : direction of the accuracy offset (default: drawn from ``seed``).
    """

    def __init__(
        self,
        smap: np.ndarray,
        geometry: DisplayGeometry,
        *,
        center_bias_weight: float = 0.3,
        accuracy_offset_deg: float = 0.5,
        noise_deg: float = 0.05,
        sampling_rate_hz: float = 1000.0,
        blink_rate_hz: float = 0.25,
        seed: int = 0,
        stimulus_rect: tuple[float, float, float, float] | None = None,
        start_px: tuple[float, float] | None = None,
        center_bias_sigma_frac: float = CENTER_BIAS_SIGMA_FRAC,
        fixation_mean_s: float = 0.25,
        fixation_shape: float = 4.0,
        offset_angle_rad: float | None = None,
    ) -> None:
        smap = np.asarray(smap)
        if smap.ndim != 2 or not np.all(np.isfinite(smap)) or smap.min() < 0 or smap.sum() <= 0:
            raise UserInputError(
                f"smap must be a finite 2-D map >= 0 with a positive sum, got shape {smap.shape}"
            )
        if not 0.0 <= center_bias_weight <= 1.0:
            raise UserInputError(f"center_bias_weight must be in [0, 1], got {center_bias_weight}")
        for name, v in (
            ("accuracy_offset_deg", accuracy_offset_deg),
            ("noise_deg", noise_deg),
            ("blink_rate_hz", blink_rate_hz),
        ):
            if not (math.isfinite(v) and v >= 0):
                raise UserInputError(f"{name} must be a number >= 0, got {v}")
        if not 0 < sampling_rate_hz <= 2000:
            raise UserInputError(f"sampling_rate_hz must be in (0, 2000], got {sampling_rate_hz}")
        self.geometry = geometry
        self.center_bias_weight = float(center_bias_weight)
        self.accuracy_offset_deg = float(accuracy_offset_deg)
        self.noise_deg = float(noise_deg)
        self.sampling_rate_hz = float(sampling_rate_hz)
        self.blink_rate_hz = float(blink_rate_hz)
        self.seed = seed
        self.fixation_mean_s = float(fixation_mean_s)
        self.fixation_shape = float(fixation_shape)
        h, w = smap.shape
        if stimulus_rect is None:
            scale = min(1.0, geometry.width_px / w, geometry.height_px / h)
            rw, rh = w * scale, h * scale
            stimulus_rect = ((geometry.width_px - rw) / 2, (geometry.height_px - rh) / 2, rw, rh)
        self.stimulus_rect = tuple(float(v) for v in stimulus_rect)
        left, top, rw, rh = self.stimulus_rect
        self.start_px = start_px if start_px is not None else (left + rw / 2, top + rh / 2)

        self._cdf = target_cdf(smap, self.center_bias_weight, center_bias_sigma_frac)
        self.smap = np.asarray(smap, dtype=np.float64) if smap.dtype != np.float64 else smap

        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        path_ss, blink_ss, offset_ss, self._noise_ss = ss.spawn(4)
        self._path_rng = np.random.default_rng(path_ss)
        self._blink_rng = np.random.default_rng(blink_ss)
        angle = (
            np.random.default_rng(offset_ss).uniform(0, 2 * np.pi)
            if offset_angle_rad is None
            else float(offset_angle_rad)
        )
        off_px = geometry.deg_to_px(self.accuracy_offset_deg)
        self.offset_px = (off_px * math.cos(angle), off_px * math.sin(angle))
        # Timeline, extended on demand: segments (kind, onset, duration, x0, y0, x1, y1) and blinks.
        self._seg: list[tuple[int, float, float, float, float, float, float]] = []
        self._seg_end = 0.0
        self._pos = (float(self.start_px[0]), float(self.start_px[1]))
        self._blinks: list[tuple[float, float]] = []
        self._blink_next = self._next_blink_gap()

    # -- timeline -----------------------------------------------------------------------------
    def _next_blink_gap(self) -> float:
        return self._blink_rng.exponential(1.0 / self.blink_rate_hz) if self.blink_rate_hz > 0 else math.inf

    def _draw_targets(self, n: int) -> np.ndarray:
        h, w = self.smap.shape
        idx = np.minimum(np.searchsorted(self._cdf, self._path_rng.random(n), side="right"), h * w - 1)
        row, col = np.divmod(idx, w)
        jitter = self._path_rng.random((n, 2))
        left, top, rw, rh = self.stimulus_rect
        return np.column_stack([left + (col + jitter[:, 0]) * rw / w, top + (row + jitter[:, 1]) * rh / h])

    def _extend(self, until_s: float) -> None:
        g = self.geometry
        while self._seg_end <= until_s:
            d_fix = max(
                MIN_FIXATION_S,
                self._path_rng.gamma(self.fixation_shape, self.fixation_mean_s / self.fixation_shape),
            )
            x, y = self._pos
            self._seg.append((_FIXATION, self._seg_end, d_fix, x, y, x, y))
            self._seg_end += d_fix
            tx, ty = self._draw_targets(1)[0]
            (ax, bx), (ay, by) = g.pos_px_to_deg(np.array([x, tx]), np.array([y, ty]))
            amp = math.hypot(bx - ax, by - ay)
            d_sac = float(saccade_duration_s(amp))
            self._seg.append((_SACCADE, self._seg_end, d_sac, x, y, float(tx), float(ty)))
            self._seg_end += d_sac
            self._pos = (float(tx), float(ty))
        while self._blink_next <= until_s:
            dur = self._blink_rng.uniform(0.10, 0.25)
            self._blinks.append((self._blink_next, dur))
            self._blink_next += dur + self._next_blink_gap()

    def segments(self, until_s: float) -> np.ndarray:
        """The scan path up to ``until_s`` (s) as a (K, 7) float array, one row per fixation or
        saccade: kind (0 fixation, 1 saccade), onset_s, duration_s, x0, y0, x1, y1 (screen px,
        without the accuracy offset). The cheap view for Monte-Carlo work; :meth:`events` is the
        tabular one."""
        self._extend(until_s)
        return np.asarray(self._seg, dtype=np.float64)

    def gaze_at(
        self, times_s: np.ndarray, noise_rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Measured gaze (x_px, y_px, valid) at ``times_s`` (s from viewing onset, >= 0, sorted).

        Adds the accuracy offset; adds noise drawn from ``noise_rng`` when given. Invalid samples
        (blinks) are NaN.
        """
        t = np.asarray(times_s, dtype=np.float64)
        if t.size == 0:
            return np.empty(0), np.empty(0), np.empty(0, dtype=bool)
        seg = self.segments(float(t.max()))
        i = np.searchsorted(seg[:, 1], t, side="right") - 1
        s = seg[np.clip(i, 0, len(seg) - 1)]
        frac = np.clip((t - s[:, 1]) / s[:, 2], 0.0, 1.0)
        prof = np.where(s[:, 0] == _SACCADE, _min_jerk(frac), 0.0)
        x = s[:, 3] + (s[:, 5] - s[:, 3]) * prof + self.offset_px[0]
        y = s[:, 4] + (s[:, 6] - s[:, 4]) * prof + self.offset_px[1]
        if noise_rng is not None and self.noise_deg > 0:
            sd = self.geometry.deg_to_px(self.noise_deg)
            x = x + noise_rng.normal(0.0, sd, t.size)
            y = y + noise_rng.normal(0.0, sd, t.size)
        valid = np.ones(t.size, dtype=bool)
        for onset, dur in self._blinks:
            if onset > t[-1]:
                break
            valid[(t >= onset) & (t < onset + dur)] = False
        x[~valid] = np.nan
        y[~valid] = np.nan
        return x, y, valid

    # -- public views -------------------------------------------------------------------------
    def sample_times(self, duration_s: float) -> np.ndarray:
        """Exact sample times: ``arange(round(duration * rate)) / rate`` seconds."""
        return np.arange(int(round(duration_s * self.sampling_rate_hz))) / self.sampling_rate_hz

    def samples(self, duration_s: float):
        """Gaze samples over ``duration_s``: DataFrame with time_s, x_px, y_px, x_deg, y_deg,
        pupil (mm; 0 while invalid), valid (bool)."""
        import pandas as pd

        t = self.sample_times(duration_s)
        rng = np.random.default_rng(self._noise_ss)
        x, y, valid = self.gaze_at(t, rng)
        x_deg, y_deg = self.geometry.pos_px_to_deg(x, y)
        pupil = pupil_mm(t, rng, valid)
        return pd.DataFrame(
            {
                "time_s": t,
                "x_px": x,
                "y_px": y,
                "x_deg": x_deg,
                "y_deg": y_deg,
                "pupil": pupil,
                "valid": valid,
            }
        )

    def events(self, duration_s: float):
        """Fixations, saccades and blinks within ``[0, duration_s)``: DataFrame with name, onset_s,
        duration_s, x_px, y_px (fixation position / saccade landing, with the accuracy offset),
        amplitude_deg and peak_velocity_deg_s (saccades)."""
        import pandas as pd

        seg = self.segments(duration_s)
        seg = seg[seg[:, 1] < duration_s]
        end = np.minimum(seg[:, 1] + seg[:, 2], duration_s)
        (x0d, y0d), (x1d, y1d) = [self.geometry.pos_px_to_deg(seg[:, c], seg[:, c + 1]) for c in (3, 5)]
        amp = np.hypot(x1d - x0d, y1d - y0d)
        is_sac = seg[:, 0] == _SACCADE
        rows = pd.DataFrame(
            {
                "name": np.where(is_sac, "saccade", "fixation"),
                "onset_s": seg[:, 1],
                "duration_s": end - seg[:, 1],
                "x_px": seg[:, 5] + self.offset_px[0],
                "y_px": seg[:, 6] + self.offset_px[1],
                "amplitude_deg": np.where(is_sac, amp, np.nan),
                "peak_velocity_deg_s": np.where(is_sac, 1.875 * amp / seg[:, 2], np.nan),
            }
        )
        blinks = [(o, min(d, duration_s - o)) for o, d in self._blinks if o < duration_s]
        if blinks:
            b = np.asarray(blinks)
            rows = pd.concat(
                [rows, pd.DataFrame({"name": "blink", "onset_s": b[:, 0], "duration_s": b[:, 1]})],
                ignore_index=True,
            ).sort_values("onset_s", kind="stable", ignore_index=True)
        return rows

    def fixations(self, duration_s: float):
        """Fixations within ``[0, duration_s)``: DataFrame with x_px, y_px (screen), onset_s,
        duration_s (cut at ``duration_s``), and x_img, y_img (pixels of the smap)."""
        ev = self.events(duration_s)
        fix = ev[ev["name"] == "fixation"][["x_px", "y_px", "onset_s", "duration_s"]].reset_index(drop=True)
        left, top, rw, rh = self.stimulus_rect
        h, w = self.smap.shape
        fix["x_img"] = (fix["x_px"] - left) * w / rw
        fix["y_img"] = (fix["y_px"] - top) * h / rh
        return fix

    @classmethod
    def looking_at(
        cls, point_px: tuple[float, float], geometry: DisplayGeometry, **kwargs
    ) -> SimulatedObserver:
        """An observer who keeps fixating one screen point (calibration targets, fixation cross)."""
        x, y = float(point_px[0]), float(point_px[1])
        kwargs.update(center_bias_weight=0.0, stimulus_rect=(x - 0.5, y - 0.5, 1.0, 1.0), start_px=(x, y))
        smap = np.ones((1, 1))
        return cls(smap, geometry, **kwargs)


def target_cdf(smap: np.ndarray, center_bias_weight: float, center_bias_sigma_frac: float) -> np.ndarray:
    """Cumulative fixation-target distribution over the smap's pixels (row-major): the mixture
    of the normalised smap and a centred Gaussian (SDs ``center_bias_sigma_frac`` x size).
    Results are cached for the last few maps (by identity), as stimuli repeat across scenes."""
    key = (id(smap), smap.shape, center_bias_weight, center_bias_sigma_frac)
    hit = _CDF_CACHE.get(key)
    if hit is not None and hit[0] is smap:
        return hit[1]
    h, w = smap.shape
    yy, xx = np.mgrid[0:h, 0:w]
    cb = np.exp(
        -0.5
        * (
            ((xx + 0.5 - w / 2) / (center_bias_sigma_frac * w)) ** 2
            + ((yy + 0.5 - h / 2) / (center_bias_sigma_frac * h)) ** 2
        )
    )
    smap64 = np.asarray(smap, dtype=np.float64)
    density = (1 - center_bias_weight) * smap64 / smap64.sum() + center_bias_weight * cb / cb.sum()
    cdf = np.cumsum(density.ravel())
    cdf /= cdf[-1]
    if len(_CDF_CACHE) >= 8:
        _CDF_CACHE.pop(next(iter(_CDF_CACHE)))
    _CDF_CACHE[key] = (smap, cdf)
    return cdf


_CDF_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def pupil_mm(times_s: np.ndarray, rng: np.random.Generator, valid: np.ndarray) -> np.ndarray:
    """A plausible pupil trace (mm): 3.5 mm with a slow 0.1 Hz oscillation and 0.01 mm noise;
    0 where invalid (as video trackers report during blinks)."""
    phase = rng.uniform(0, 2 * np.pi)
    p = 3.5 + 0.15 * np.sin(2 * np.pi * 0.1 * np.asarray(times_s) + phase) + rng.normal(0, 0.01, len(times_s))
    return np.where(valid, p, 0.0)
