"""A simulated observer: realistic gaze samples of someone free-viewing a stimulus.

Two modes say where the observer's **priority map** (where it tends to look) comes from:

- ``"image"`` (:meth:`SimulatedObserver.from_image`, the default of the simulated tracker and of
  ``gazefusion study simulate``): a registry saliency model (:mod:`gazefusion.saliency`; default
  :func:`default_saliency_model`: ``emlnet`` when its weights are present, else the classical
  ``itti-koch``) run on the stimulus pixels **as shown** (resized to their on-screen size). The
  target smap plays no part: it is for the analysis only.
- ``"planted"`` (:meth:`SimulatedObserver.planted`): the observer looks at a given map, e.g. a
  mixture of a target and an unrelated map, to plant an effect on purpose (power analysis, tests
  of the analysis). ``"point"`` (:meth:`SimulatedObserver.looking_at`) fixates one point.

Model (defaults are published or textbook values of scene viewing, documented in ``docs/study.md``):

- **Where**: the priority is mixed with a centre bias, ``S = (1 - w) * P / sum(P) + w * G``
  (``G`` a Gaussian at the stimulus centre with SDs ``centre_bias_sigma_frac`` of the stimulus
  width and height, ``w = centre_bias_weight``) on a grid of at most 128 cells along the longer
  side. The scan path follows **SceneWalk** (Engbert et al. 2015, J Vision 15(1):14; subtractive
  form, zero initial maps, as fitted by Schütt et al. 2017, J Vision 17(8):5 — their parameters
  are the defaults of :class:`SceneWalkParams`): while fixating ``x_f`` for ``d`` seconds, an
  attention map relaxes toward ``G_A(x_f) * S`` (normalised; ``G_A`` a Gaussian of SD
  ``sigma_attention_deg`` around the fixation: the saccade-amplitude prior) at rate
  ``omega_attention`` and an inhibition map toward ``G_F(x_f)`` (SD ``sigma_inhibition_deg``) at
  rate ``omega_inhibition``; the next target is drawn from ``pi = (1 - zeta) * max(u, 0) / sum +
  zeta / N`` with ``u = A^lam / sum(A^lam) - C_F * F^gam / sum(F^gam)`` (inhibition of return).
  The first fixation is at ``start_px`` (default: the stimulus centre, where the fixation cross
  was). ``sigma_attention_deg = inf`` and ``inhibition_strength = 0`` (and ``zeta = 0``,
  ``lam = 1``) give independent draws from ``S``.
- **How long**: fixation durations follow a gamma distribution (mean ``fixation_mean_s`` =
  0.3 s, shape ``fixation_shape`` = 4, so SD = 0.15 s), at least 50 ms.
- **Who**: with ``traits_seed`` each simulated participant is a seeded variant of the population
  observer (log-normal spreads of its mean fixation duration, attention span and inhibition
  strength, a normal spread of its centre-bias weight; :data:`TRAIT_SD`).
- **Saccades** follow the main sequence: duration ``2.2 ms/deg * A + 21 ms`` (Carpenter 1988)
  and a minimum-jerk position profile, so peak velocity is ``1.875 A / D`` (~430 deg/s at 10 deg).
- **Measurement**: a constant accuracy offset of ``accuracy_offset_deg`` in a seeded random
  direction, white Gaussian noise of SD ``noise_deg`` per axis, blinks as a Poisson process of
  ``blink_rate_hz`` with durations uniform in 100-250 ms, during which samples are invalid
  (x, y = NaN, pupil = 0, ``valid`` = False).

Positions are screen pixels (origin top-left, y down); every pixel<->degree conversion goes
through :class:`~gazefusion.geometry.DisplayGeometry`. The map covers ``stimulus_rect`` =
(left, top, width, height) on screen, by default its own size centred on the screen (scaled
down to fit if larger). Results are deterministic for a ``seed``; ``fixations(d)``,
``events(d)`` and ``samples(d)`` describe the same simulated viewing.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from gazefusion.config import Config
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.saliency.centre_bias import DEFAULT_SIGMA_FRAC, centre_bias

_FIXATION, _SACCADE = 0, 1
MIN_FIXATION_S = 0.05
CENTRE_BIAS_SIGMA_FRAC = DEFAULT_SIGMA_FRAC
#: US spellings of keywords, still accepted (old callers and study configs) -> the keyword.
US_SPELLINGS = {
    "center_bias_weight": "centre_bias_weight",
    "center_bias_sigma_frac": "centre_bias_sigma_frac",
}
#: Longest side (cells) of the grid the scan path is computed on (SceneWalk's 128).
GRID_CELLS = 128
#: Where the priority map comes from (see the module docstring).
MODES = ("image", "planted", "point")
#: Classical saliency model of the image mode when EML-Net's weights are absent (no weights needed).
FALLBACK_SALIENCY_MODEL = "itti-koch"
#: Between-participant spreads of :meth:`SimulatedObserver` traits (``traits_seed``): SDs of the
#: log of the factor for the multiplicative traits, plain SD for the centre-bias weight.
#: Assumptions of the order of the individual differences reported for scene viewing
#: (Castelhano & Henderson 2008; Henderson & Luke 2014), not fitted.
TRAIT_SD = {
    "fixation_mean_s": 0.15,
    "sigma_attention_deg": 0.2,
    "inhibition_strength": 0.2,
    "centre_bias_weight": 0.1,
}


class SceneWalkParams(Config):
    """SceneWalk scan-path parameters (degrees, seconds). Defaults: the subtractive SceneWalk fit
    of Schütt et al. (2017, J Vision 17(8):5), as used by pysaliency; ``omega_attention`` = inf
    (theirs is 2.4e30 /s: the attention map follows the current fixation at once). Numbers >= 0;
    the spans and ``lam`` > 0, ``lam`` and ``gam`` finite, ``zeta`` at most 1; the spans, rates
    and ``inhibition_strength`` may be inf."""

    sigma_attention_deg: float = Field(5.9, gt=0, allow_inf_nan=True)
    sigma_inhibition_deg: float = Field(4.5, gt=0, allow_inf_nan=True)
    omega_attention: float = Field(math.inf, ge=0, allow_inf_nan=True)
    omega_inhibition: float = Field(1.97, ge=0, allow_inf_nan=True)
    lam: float = Field(0.8115, gt=0)
    gam: float = Field(44.78, gt=0)
    inhibition_strength: float = Field(0.3637, ge=0, allow_inf_nan=True)
    zeta: float = Field(0.0722, ge=0, le=1)

    @classmethod
    def independent(cls) -> SceneWalkParams:
        """No scan-path dynamics: each target an independent draw from the priority map."""
        return cls(sigma_attention_deg=math.inf, inhibition_strength=0.0, lam=1.0, zeta=0.0)


def _min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile on [0, 1]."""
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def saccade_duration_s(amplitude_deg: np.ndarray | float) -> np.ndarray | float:
    """Main-sequence saccade duration (s) for an amplitude in degrees: 2.2 ms/deg * A + 21 ms."""
    return (2.2 * np.asarray(amplitude_deg) + 21.0) / 1000.0


# -- the image mode's priority map --------------------------------------------------------------
def default_saliency_model() -> str:
    """Registry name of the image mode's saliency model: ``emlnet`` when its weights are present,
    else :data:`FALLBACK_SALIENCY_MODEL`."""
    return "emlnet" if _saliency_model("emlnet").is_available() else FALLBACK_SALIENCY_MODEL


_MODELS: dict[str, object] = {}
_PRIORITY_CACHE: dict[tuple, np.ndarray] = {}


def _saliency_model(name: str):
    from gazefusion.saliency import get_saliency_model
    from gazefusion.saliency.registry import canonical_name

    key = canonical_name(name)
    if key not in _MODELS:
        _MODELS[key] = get_saliency_model(key)
    return _MODELS[key]


def shown_image(image: np.ndarray, size_px: tuple[int, int]) -> np.ndarray:
    """``uint8`` RGB ``image`` resized (bilinear, as a textured quad is drawn) to ``size_px`` =
    (width, height) screen pixels; unchanged if it already has that size."""
    from PIL import Image

    w, h = max(1, int(round(size_px[0]))), max(1, int(round(size_px[1])))
    if image.shape[1] == w and image.shape[0] == h:
        return image
    return np.asarray(Image.fromarray(image).resize((w, h), Image.Resampling.BILINEAR))


def priority_from_image(
    image: np.ndarray, size_px: tuple[float, float] | None = None, saliency_model: str | None = None
) -> np.ndarray:
    """Saliency (float32 (h, w) in [0, 1]) of ``image`` (``uint8`` RGB) as shown at ``size_px`` =
    (width, height) screen pixels (default: its own size), by the registry model
    ``saliency_model`` (default :func:`default_saliency_model`). Cached by content, size and model."""
    from gazefusion.utils.hashing import array_sha256

    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise UserInputError(
            f"image must be a uint8 (H, W, 3) RGB array, got {image.dtype} of shape {image.shape}"
        )
    name = saliency_model or default_saliency_model()
    if size_px is None:
        size_px = (image.shape[1], image.shape[0])
    size = (max(1, int(round(size_px[0]))), max(1, int(round(size_px[1]))))
    key = (array_sha256(image), size, name)
    hit = _PRIORITY_CACHE.get(key)
    if hit is not None:
        return hit
    model = _saliency_model(name)
    if not model.is_available():
        raise UserInputError(f"saliency model {name!r} cannot run here (weights or libraries missing)")
    out = model.predict(shown_image(image, size))[0]
    if len(_PRIORITY_CACHE) >= 64:
        _PRIORITY_CACHE.pop(next(iter(_PRIORITY_CACHE)))
    _PRIORITY_CACHE[key] = out
    return out


def _grid_map(priority: np.ndarray, cells: int = GRID_CELLS) -> np.ndarray:
    """``priority`` area-averaged to at most ``cells`` along its longer side (float64)."""
    h, w = priority.shape
    scale = min(1.0, cells / max(h, w))
    p = np.asarray(priority, dtype=np.float64)
    if scale >= 1.0:
        return p
    import cv2

    gw, gh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    return np.maximum(cv2.resize(p, (gw, gh), interpolation=cv2.INTER_AREA), 0.0)


def british_spelling(settings: dict) -> dict:
    """``settings`` with the keys of :data:`US_SPELLINGS` renamed; both spellings at once is an error."""
    out = dict(settings)
    for us, uk in US_SPELLINGS.items():
        if us in out:
            if uk in out:
                raise UserInputError(f"{us} and {uk} are the same setting: give one")
            out[uk] = out.pop(us)
    return out


def observer_traits(
    traits_seed: int | np.random.SeedSequence,
    fixation_mean_s: float,
    centre_bias_weight: float,
    scanpath: SceneWalkParams,
) -> tuple[float, float, SceneWalkParams]:
    """One simulated participant's (fixation_mean_s, centre_bias_weight, scanpath): the given
    population values varied with the spreads of :data:`TRAIT_SD`, drawn from ``traits_seed``."""
    ss = (
        traits_seed
        if isinstance(traits_seed, np.random.SeedSequence)
        else np.random.SeedSequence(traits_seed)
    )
    z = np.random.default_rng(ss).normal(size=4)
    sd = TRAIT_SD
    scanpath = scanpath.replace(
        sigma_attention_deg=scanpath.sigma_attention_deg * math.exp(sd["sigma_attention_deg"] * z[1]),
        inhibition_strength=scanpath.inhibition_strength * math.exp(sd["inhibition_strength"] * z[2]),
    )
    w = float(np.clip(centre_bias_weight + sd["centre_bias_weight"] * z[3], 0.0, 1.0))
    return fixation_mean_s * math.exp(sd["fixation_mean_s"] * z[0]), w, scanpath


class SimulatedObserver:
    """Gaze of a simulated observer viewing a stimulus with priority map ``priority_map``.

    Build it with :meth:`from_image` (looks at the image), :meth:`planted` (looks at a given map)
    or :meth:`looking_at` (one point); the constructor names the ``mode`` explicitly.

    Parameters
    ----------
    priority_map : float array (H, W), >= 0, not all zero (any scale; it is normalised), covering
        ``stimulus_rect``.
    geometry : the display; fixes pixels per degree and the screen size.
    mode : ``"image"``, ``"planted"`` or ``"point"`` (recorded; see the module docstring).
    image_size : (width, height) of the stimulus in its own pixels (``x_img``/``y_img`` of
        :meth:`fixations`); default the map's size.
    centre_bias_weight : weight ``w`` in [0, 1] of the centre-bias Gaussian (default 0.3).
    accuracy_offset_deg : magnitude of the constant measurement offset (default 0.5 deg).
    noise_deg : SD of per-sample white noise per axis (default 0.05 deg).
    sampling_rate_hz : samples per second (default 1000).
    blink_rate_hz : blinks per second (default 0.25, i.e. 15/min).
    seed : seed of everything random in this viewing.
    stimulus_rect : (left, top, width, height) in screen pixels covered by the map.
    start_px : (x, y) of the first fixation; default the stimulus centre.
    offset_angle_rad : direction of the accuracy offset (default: drawn from ``seed``).
    scanpath : :class:`SceneWalkParams` (default: Schütt et al. 2017).
    traits_seed : seed of this participant's traits (None: the population-mean observer).
    saliency_model : registry name of the model that made the map (image mode; recorded).
    center_bias_weight, center_bias_sigma_frac : US spellings of the ``centre_*`` keywords
        (:data:`US_SPELLINGS`), still accepted (given with the ``centre_*`` one, they win).
    """

    def __init__(
        self,
        priority_map: np.ndarray,
        geometry: DisplayGeometry,
        *,
        mode: str,
        image_size: tuple[int, int] | None = None,
        centre_bias_weight: float = 0.3,
        accuracy_offset_deg: float = 0.5,
        noise_deg: float = 0.05,
        sampling_rate_hz: float = 1000.0,
        blink_rate_hz: float = 0.25,
        seed: int | np.random.SeedSequence = 0,
        stimulus_rect: tuple[float, float, float, float] | None = None,
        start_px: tuple[float, float] | None = None,
        centre_bias_sigma_frac: float = CENTRE_BIAS_SIGMA_FRAC,
        fixation_mean_s: float = 0.3,
        fixation_shape: float = 4.0,
        offset_angle_rad: float | None = None,
        scanpath: SceneWalkParams | None = None,
        traits_seed: int | np.random.SeedSequence | None = None,
        saliency_model: str | None = None,
        **us_spellings: float,
    ) -> None:
        if us_spellings:
            unknown = sorted(set(us_spellings) - set(US_SPELLINGS))
            if unknown:
                raise TypeError(f"SimulatedObserver got an unexpected keyword argument {unknown[0]!r}")
            given = british_spelling(us_spellings)
            centre_bias_weight = given.get("centre_bias_weight", centre_bias_weight)
            centre_bias_sigma_frac = given.get("centre_bias_sigma_frac", centre_bias_sigma_frac)
        pmap = np.asarray(priority_map)
        if mode not in MODES:
            raise UserInputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if pmap.ndim != 2 or not np.all(np.isfinite(pmap)) or pmap.min() < 0 or pmap.sum() <= 0:
            raise UserInputError(
                f"priority map (smap) must be a finite 2-D map >= 0 with a positive sum, got shape {pmap.shape}"
            )
        if not 0.0 <= centre_bias_weight <= 1.0:
            raise UserInputError(f"centre_bias_weight must be in [0, 1], got {centre_bias_weight}")
        for name, v in (
            ("accuracy_offset_deg", accuracy_offset_deg),
            ("noise_deg", noise_deg),
            ("blink_rate_hz", blink_rate_hz),
        ):
            if not (math.isfinite(v) and v >= 0):
                raise UserInputError(f"{name} must be a number >= 0, got {v}")
        if not (math.isfinite(fixation_mean_s) and fixation_mean_s > 0 and fixation_shape > 0):
            raise UserInputError(
                f"fixation_mean_s and fixation_shape must be > 0, got {fixation_mean_s}, {fixation_shape}"
            )
        if not 0 < sampling_rate_hz <= 2000:
            raise UserInputError(f"sampling_rate_hz must be in (0, 2000], got {sampling_rate_hz}")
        scanpath = scanpath if scanpath is not None else SceneWalkParams()
        if traits_seed is not None:
            fixation_mean_s, centre_bias_weight, scanpath = observer_traits(
                traits_seed, fixation_mean_s, centre_bias_weight, scanpath
            )
        self.mode = mode
        self.saliency_model = saliency_model
        self.geometry = geometry
        self.scanpath = scanpath
        self.centre_bias_weight = float(centre_bias_weight)
        self.accuracy_offset_deg = float(accuracy_offset_deg)
        self.noise_deg = float(noise_deg)
        self.sampling_rate_hz = float(sampling_rate_hz)
        self.blink_rate_hz = float(blink_rate_hz)
        self.seed = seed
        self.fixation_mean_s = float(fixation_mean_s)
        self.fixation_shape = float(fixation_shape)
        h, w = pmap.shape
        self.image_size = (int(w), int(h)) if image_size is None else (int(image_size[0]), int(image_size[1]))
        if stimulus_rect is None:
            stimulus_rect = geometry.centred_rect(self.image_size, fit="shrink")
        self.stimulus_rect = tuple(float(v) for v in stimulus_rect)
        left, top, rw, rh = self.stimulus_rect
        self.start_px = start_px if start_px is not None else (left + rw / 2, top + rh / 2)
        self.priority = pmap

        # the scan path's grid: S = (1 - w) P / sum P + w G on at most GRID_CELLS cells
        grid = _grid_map(pmap)
        gh, gw = grid.shape
        self._grid_shape = (gh, gw)
        self._S = (1 - self.centre_bias_weight) * grid / grid.sum() + self.centre_bias_weight * (
            centre_bias((gh, gw), centre_bias_sigma_frac)
        )
        # cell centres in degrees (relative; one px/deg for the stimulus)
        ppd = geometry.px_per_deg
        self._cx_deg = (np.arange(gw) + 0.5) * (rw / gw) / ppd
        self._cy_deg = (np.arange(gh) + 0.5) * (rh / gh) / ppd
        self._S_lam = (
            self._S if self.scanpath.lam == 1.0 else np.power(self._S / self._S.max(), self.scanpath.lam)
        )
        self._F = np.zeros((gh, gw))
        self._A = np.zeros((gh, gw))

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

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def from_image(
        cls,
        image: np.ndarray,
        geometry: DisplayGeometry,
        *,
        stimulus_rect: tuple[float, float, float, float] | None = None,
        saliency_model: str | None = None,
        **kwargs,
    ) -> SimulatedObserver:
        """Image mode: an observer free-viewing the ``uint8`` RGB ``image`` shown at
        ``stimulus_rect`` (default: its own size, centred, scaled down to fit). Its priority map
        is ``saliency_model`` (default :func:`default_saliency_model`) on the pixels as shown."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise UserInputError(
                f"image must be a uint8 (H, W, 3) RGB array, got {image.dtype} of shape {image.shape}"
            )
        ih, iw = image.shape[:2]
        if stimulus_rect is None:
            stimulus_rect = geometry.centred_rect((iw, ih), fit="shrink")
        name = saliency_model or default_saliency_model()
        priority = priority_from_image(image, (stimulus_rect[2], stimulus_rect[3]), name)
        if not priority.sum() > 0:  # a flat image: nothing stands out
            priority = np.ones_like(priority)
        return cls(
            priority,
            geometry,
            mode="image",
            image_size=(iw, ih),
            stimulus_rect=stimulus_rect,
            saliency_model=name,
            **kwargs,
        )

    @classmethod
    def planted(cls, priority_map: np.ndarray, geometry: DisplayGeometry, **kwargs) -> SimulatedObserver:
        """Planted mode: an observer looking at the given map (not at any image), to plant an
        effect on purpose (power analysis, tests of the analysis)."""
        return cls(priority_map, geometry, mode="planted", **kwargs)

    @classmethod
    def looking_at(
        cls, point_px: tuple[float, float], geometry: DisplayGeometry, **kwargs
    ) -> SimulatedObserver:
        """An observer who keeps fixating one screen point (calibration targets, fixation cross)."""
        x, y = float(point_px[0]), float(point_px[1])
        kwargs.pop("traits_seed", None)
        kwargs.update(
            centre_bias_weight=0.0,
            stimulus_rect=(x - 0.5, y - 0.5, 1.0, 1.0),
            start_px=(x, y),
            scanpath=SceneWalkParams.independent(),
        )
        return cls(np.ones((1, 1)), geometry, mode="point", **kwargs)

    # -- timeline -----------------------------------------------------------------------------
    def _next_blink_gap(self) -> float:
        return self._blink_rng.exponential(1.0 / self.blink_rate_hz) if self.blink_rate_hz > 0 else math.inf

    def _gauss(self, cx_deg: float, cy_deg: float, sigma_deg: float) -> np.ndarray:
        """Unnormalised separable Gaussian on the grid around (cx, cy) in stimulus degrees."""
        if math.isinf(sigma_deg):
            return np.ones(self._grid_shape)
        gx = np.exp(-0.5 * ((self._cx_deg - cx_deg) / sigma_deg) ** 2)
        gy = np.exp(-0.5 * ((self._cy_deg - cy_deg) / sigma_deg) ** 2)
        return gy[:, None] * gx[None, :]

    def _next_target(self, x: float, y: float, d_fix: float) -> tuple[float, float]:
        """SceneWalk: evolve the attention and inhibition maps over a fixation at screen (x, y)
        lasting ``d_fix`` s, then draw the next target (screen px) from the selection map."""
        p = self.scanpath
        left, top, rw, rh = self.stimulus_rect
        ppd = self.geometry.px_per_deg
        fx, fy = (x - left) / ppd, (y - top) / ppd
        if math.isinf(p.omega_attention):
            # A = G_A S / sum at once, so A^lam / sum = G_A(sigma / sqrt(lam)) S^lam / sum
            u = self._gauss(fx, fy, p.sigma_attention_deg / math.sqrt(p.lam)) * self._S_lam
            total = u.sum()
            u = u / total if total > 0 else self._S_lam / self._S_lam.sum()
        else:
            att = self._gauss(fx, fy, p.sigma_attention_deg) * self._S
            total = att.sum()
            att = att / total if total > 0 else self._S
            k_a = -math.expm1(-p.omega_attention * d_fix)
            self._A = (1 - k_a) * self._A + k_a * att
            a = self._A if p.lam == 1.0 else np.power(self._A / self._A.max(), p.lam)
            u = a / a.sum()
        if p.inhibition_strength > 0:
            g = self._gauss(fx, fy, p.sigma_inhibition_deg)
            k_f = -math.expm1(-p.omega_inhibition * d_fix)
            self._F = (1 - k_f) * self._F + k_f * g / g.sum()
            f = np.power(self._F / self._F.max(), p.gam)
            u = u - p.inhibition_strength * f / f.sum()
            np.maximum(u, 0.0, out=u)
            u /= u.sum()
        if p.zeta > 0:
            u = (1 - p.zeta) * u + p.zeta / u.size
        cdf = np.cumsum(u.ravel())
        gh, gw = self._grid_shape
        r = self._path_rng.random(3)
        idx = min(int(np.searchsorted(cdf, r[0] * cdf[-1], side="right")), gh * gw - 1)
        row, col = divmod(idx, gw)
        return left + (col + r[1]) * rw / gw, top + (row + r[2]) * rh / gh

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
            tx, ty = self._next_target(x, y, d_fix)
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
        duration_s (cut at ``duration_s``), and x_img, y_img (pixels of the stimulus image / map)."""
        ev = self.events(duration_s)
        fix = ev[ev["name"] == "fixation"][["x_px", "y_px", "onset_s", "duration_s"]].reset_index(drop=True)
        left, top, rw, rh = self.stimulus_rect
        w, h = self.image_size
        fix["x_img"] = (fix["x_px"] - left) * w / rw
        fix["y_img"] = (fix["y_px"] - top) * h / rh
        return fix


def pupil_mm(times_s: np.ndarray, rng: np.random.Generator, valid: np.ndarray) -> np.ndarray:
    """A plausible pupil trace (mm): 3.5 mm with a slow 0.1 Hz oscillation and 0.01 mm noise;
    0 where invalid (as video trackers report during blinks)."""
    phase = rng.uniform(0, 2 * np.pi)
    p = 3.5 + 0.15 * np.sin(2 * np.pi * 0.1 * np.asarray(times_s) + phase) + rng.normal(0, 0.01, len(times_s))
    return np.where(valid, p, 0.0)
