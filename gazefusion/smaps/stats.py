"""Summary statistics of a map: what ``gazefusion smap info`` prints and the asset tests check."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from gazefusion.smaps.io import validate_smap


@dataclass(frozen=True)
class SmapStats:
    """Size in px; values in [0, 1]; positions (x, y) in px (pixel centres at integers)."""

    width: int
    height: int
    min: float
    peak: float
    peak_xy: tuple[int, int]
    mean: float
    centroid_xy: tuple[float, float] | None  # mass centroid; None for an all-zero map

    def to_dict(self) -> dict:
        return asdict(self)


def smap_stats(smap: np.ndarray) -> SmapStats:
    """Size, minimum, peak and its first location (row-major), mean and mass centroid of ``smap``."""
    s = validate_smap(smap).astype(np.float64)
    row, col = np.unravel_index(int(np.argmax(s)), s.shape)
    mass = s.sum()
    centroid = None
    if mass > 0:
        ys, xs = np.indices(s.shape)
        centroid = (float((xs * s).sum() / mass), float((ys * s).sum() / mass))
    return SmapStats(
        width=s.shape[1],
        height=s.shape[0],
        min=float(s.min()),
        peak=float(s.max()),
        peak_xy=(int(col), int(row)),
        mean=float(s.mean()),
        centroid_xy=centroid,
    )
