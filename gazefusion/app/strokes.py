"""Brush strokes painted in the app's canvas, as data: parsing and rasterising them into layer amounts.

The page's paint pad (:mod:`gazefusion.app.paintpad`) sends its strokes as JSON, a list of
``{"layer": "attention" | "suppress" | "erase", "size": D, "points": [[x, y], ...]}`` with the
brush diameter ``D`` and the points in **map pixels** (pixel centres at integers, origin top left).
Strokes are applied in order: an attention or suppress stroke covers its path on its layer (amount
1), an erase stroke clears both layers along its path. The brush's softness is not part of a
stroke: it is the design's edge blur, applied when the map is rendered.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from gazefusion.errors import UserInputError

LAYERS = ("attention", "suppress", "erase")
#: Most strokes and points one paint message may hold (a page cannot make the server rasterise forever).
MAX_STROKES = 2000
MAX_POINTS = 20000


@dataclass(frozen=True)
class Stroke:
    """One brush stroke: its layer, brush diameter (map px) and path (map px)."""

    layer: str
    size: float
    points: tuple[tuple[float, float], ...]


def parse_strokes(text: str | None) -> list[Stroke]:
    """The strokes of a paint-pad message (JSON text; empty or None: no strokes).

    Raises :class:`UserInputError` naming the stroke and what was expected for anything else.
    """
    if not text or not str(text).strip():
        return []
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserInputError(f"painted strokes: expected JSON, {exc.msg} at character {exc.pos}") from None
    if not isinstance(raw, list):
        raise UserInputError(f"painted strokes: expected a list of strokes, found {type(raw).__name__}")
    if len(raw) > MAX_STROKES:
        raise UserInputError(f"painted strokes: at most {MAX_STROKES} strokes, found {len(raw)}; clear some")
    strokes, n_points = [], 0
    for k, item in enumerate(raw):
        where = f"painted stroke {k + 1}"
        if not isinstance(item, dict):
            raise UserInputError(f"{where}: expected an object, found {type(item).__name__}")
        layer, size, points = item.get("layer"), item.get("size"), item.get("points")
        if layer not in LAYERS:
            raise UserInputError(f"{where}: layer expected one of {', '.join(LAYERS)}, found {layer!r}")
        if not _is_number(size) or not size > 0:
            raise UserInputError(f"{where}: brush size expected a number > 0 (map px), found {size!r}")
        if not isinstance(points, list) or not points:
            raise UserInputError(f"{where}: expected a non-empty list of [x, y] points, found {points!r}")
        path = []
        for p in points:
            if not (isinstance(p, list | tuple) and len(p) == 2 and all(_is_number(v) for v in p)):
                raise UserInputError(f"{where}: a point must be [x, y] in map px, found {p!r}")
            path.append((float(p[0]), float(p[1])))
        n_points += len(path)
        if n_points > MAX_POINTS:
            raise UserInputError(f"painted strokes: at most {MAX_POINTS} points in all; clear some")
        strokes.append(Stroke(layer, float(size), tuple(path)))
    return strokes


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def rasterize_strokes(
    strokes: list[Stroke], width: int, height: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(attention, suppress)`` amounts (float32 (height, width) in {0, 1}; None where the layer is
    empty) covered by ``strokes`` on a ``width`` x ``height`` map.

    A pixel is covered when its centre lies within ``size / 2`` of the stroke's path (a round brush
    swept along straight segments between the points).
    """
    layers = {"attention": np.zeros((height, width), bool), "suppress": np.zeros((height, width), bool)}
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    for stroke in strokes:
        covered = _swept_disc(xx, yy, stroke.points, stroke.size / 2.0)
        if stroke.layer == "erase":
            for mask in layers.values():
                mask &= ~covered
        else:
            layers[stroke.layer] |= covered
    out = tuple(m.astype(np.float32) if m.any() else None for m in layers.values())
    return out[0], out[1]


def _swept_disc(xx: np.ndarray, yy: np.ndarray, points, radius: float) -> np.ndarray:
    """Pixels whose centre is within ``radius`` of the polyline ``points`` (a single point: a disc)."""
    pts = np.asarray(points, dtype=np.float64)
    segments = zip(pts, pts[1:], strict=False) if len(pts) > 1 else [(pts[0], pts[0])]
    covered = np.zeros(xx.shape, bool)
    for a, b in segments:
        # only the bounding box of the segment's swept disc needs the distance
        x0, x1 = (
            max(int(math.floor(min(a[0], b[0]) - radius)), 0),
            int(math.ceil(max(a[0], b[0]) + radius)) + 1,
        )
        y0, y1 = (
            max(int(math.floor(min(a[1], b[1]) - radius)), 0),
            int(math.ceil(max(a[1], b[1]) + radius)) + 1,
        )
        if x0 >= xx.shape[1] or y0 >= xx.shape[0] or x1 <= 0 or y1 <= 0:
            continue
        px, py = xx[y0:y1, x0:x1], yy[y0:y1, x0:x1]
        d = b - a
        length2 = float(d @ d)
        t = 0.0 if length2 == 0 else np.clip(((px - a[0]) * d[0] + (py - a[1]) * d[1]) / length2, 0.0, 1.0)
        dist2 = (px - (a[0] + t * d[0])) ** 2 + (py - (a[1] + t * d[1])) ** 2
        covered[y0:y1, x0:x1] |= dist2 <= radius * radius
    return covered
