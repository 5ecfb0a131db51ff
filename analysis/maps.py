"""Fixation maps of stimuli: fixations blurred by a Gaussian whose sigma is given in degrees.

The sigma in degrees (default 1 deg, the field's convention; the paper's value is not known)
becomes screen pixels through :class:`~gazefusion.geometry.DisplayGeometry` (``deg_to_px``, the
centre pixels-per-degree), then stimulus-image pixels through the stimulus' on-screen scale
(``image_width / on_screen_width``). Two blurs:

- ``"gaussian"`` (default): :func:`scipy.ndimage.gaussian_filter`, zero outside the image
  (``mode="constant"``, ``truncate=4``): the mass of a fixation near the border partly leaves the
  image, as the gaze distribution does.
- ``"mit"``: the MIT benchmark's ``antonioGaussian`` (:func:`metrics.fixation_density` with
  ``sigma_px``), a Fourier-domain Gaussian on a zero-padded power-of-two square of side P. Two
  MIT quirks are kept: the cut-off is set from ``max(H, W)`` but applied on the P grid, so the
  spatial sigma is ``sigma_px * P / max(H, W)``; at power-of-two sizes there is no padding and
  the blur wraps around the borders.

Maps are returned float64 (H, W) normalised to sum 1 (a density over the image); an empty
fixation set gives an all-zero map.
"""

from __future__ import annotations

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry

BLURS = ("gaussian", "mit")
DEFAULT_SIGMA_DEG = 1.0


def sigma_image_px(
    geometry: DisplayGeometry,
    sigma_deg: float = DEFAULT_SIGMA_DEG,
    image_width_px: float | None = None,
    on_screen_width_px: float | None = None,
) -> float:
    """``sigma_deg`` in stimulus-image pixels: screen pixels times ``image_width / on_screen_width``."""
    if not (np.isfinite(sigma_deg) and sigma_deg > 0):
        raise UserInputError(f"--sigma-deg: expected a positive number of degrees, got {sigma_deg!r}")
    scale = 1.0 if not image_width_px or not on_screen_width_px else image_width_px / on_screen_width_px
    return float(geometry.deg_to_px(sigma_deg)) * scale


def fixation_map(
    points_xy: np.ndarray,
    shape: tuple[int, int],
    sigma_px: float,
    blur: str = "gaussian",
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Density map (H, W) of (x, y) image-pixel fixations blurred by a Gaussian of ``sigma_px``.

    Each fixation adds ``weights[k]`` (default 1) at its pixel ``(floor(y), floor(x))``; points
    outside the image are ignored. Normalised to sum 1 unless empty.
    """
    from metrics import fixation_density, fixations_to_map

    if blur not in BLURS:
        raise UserInputError(f"blur: expected one of {BLURS}, got {blur!r}")
    pts = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    h, w = (int(s) for s in shape)
    if weights is None:
        counts = fixations_to_map(pts, (h, w), counts=True, outside="drop")
    else:
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
        counts = np.zeros((h, w))
        np.add.at(
            counts,
            (np.floor(pts[inside, 1]).astype(int), np.floor(pts[inside, 0]).astype(int)),
            np.asarray(weights, dtype=np.float64)[inside],
        )
    if counts.sum() <= 0:
        return np.zeros((h, w))
    if blur == "gaussian":
        from scipy.ndimage import gaussian_filter

        dens = gaussian_filter(counts, sigma=sigma_px, mode="constant", truncate=4.0)
    else:
        dens = fixation_density(counts, sigma_px=sigma_px)
    dens = np.clip(dens, 0.0, None)
    total = dens.sum()
    return dens / total if total > 0 else dens


def stimulus_maps(
    fixations,
    shapes: dict[str, tuple[int, int]],
    geometry: DisplayGeometry,
    sigma_deg: float = DEFAULT_SIGMA_DEG,
    blur: str = "gaussian",
    by: str = "stimulus_id",
    duration_weighted: bool = False,
) -> dict[str, np.ndarray]:
    """Fixation maps per stimulus, pooled over participants (``fixations_on_stimuli`` output).

    ``shapes`` maps stimulus ids to the image's (H, W). The sigma uses each stimulus' on-screen
    width (``stim_width``). ``duration_weighted`` weights fixations by their duration.
    """
    out = {}
    for sid, shape in shapes.items():
        rows = fixations[fixations[by] == sid]
        on_screen = float(rows["stim_width"].iloc[0]) if len(rows) else None
        sigma = sigma_image_px(geometry, sigma_deg, shape[1], on_screen)
        weights = rows["duration_s"].to_numpy() if duration_weighted else None
        out[sid] = fixation_map(rows[["x_img", "y_img"]].to_numpy(), shape, sigma, blur, weights)
    return out
