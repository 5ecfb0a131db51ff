"""The centre-bias Gaussian: one function for the saliency baseline, the analysis' centre predictor
and the simulated observer's centre bias.

Convention: pixel ``(i, j)`` (row, column) has its centre at ``(j + 0.5, i + 0.5)`` and the image
centre is ``(W / 2, H / 2)`` (equivalently pixel coordinates ``j - (W - 1) / 2``); the standard
deviations are ``sigma_frac`` times the width and the height (σx = sigma_frac·W, σy = sigma_frac·H),
so the blob stretches with the aspect ratio, as the MIT benchmark's centre baseline.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from gazefusion.errors import UserInputError

#: The usual SD, as a fraction of the image width and height.
DEFAULT_SIGMA_FRAC = 0.25


def centre_bias(
    shape: tuple[int, int],
    sigma_frac: float = DEFAULT_SIGMA_FRAC,
    *,
    norm: Literal["sum", "centre"] = "sum",
) -> np.ndarray:
    """Centre-bias Gaussian on an (H, W) grid, float64.

    Parameters
    ----------
    shape : (int, int)
        (height, width) in pixels or grid cells.
    sigma_frac : float, default 0.25
        SD as a fraction of the width (x) and of the height (y).
    norm : {"sum", "centre"}, default "sum"
        ``"sum"``: a probability map summing to 1. ``"centre"``: ``exp(-(dx²/2σx² + dy²/2σy²))``,
        1 at the exact image centre (the maximum is below 1 when a side is even).
    """
    if not (isinstance(sigma_frac, int | float | np.floating) and np.isfinite(sigma_frac) and sigma_frac > 0):
        raise UserInputError(f"sigma_frac must be a positive fraction of the image size, got {sigma_frac!r}")
    if norm not in ("sum", "centre"):
        raise UserInputError(f"norm must be 'sum' or 'centre', got {norm!r}")
    h, w = (int(s) for s in shape)
    x = (np.arange(w) + 0.5 - w / 2) / (sigma_frac * w)
    y = (np.arange(h) + 0.5 - h / 2) / (sigma_frac * h)
    g = np.exp(-0.5 * (y[:, None] ** 2 + x[None, :] ** 2))
    return g / g.sum() if norm == "sum" else g
