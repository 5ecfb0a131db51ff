"""Rendering a :class:`~gazefusion.smaps.spec.SmapSpec` to a map, for a given size and display.

Order of operations: each element is drawn (hard shapes are point-sampled at pixel centres, then
blurred by ``edge``), scaled by its ``weight``, combined by sum or max, multiplied by the
suppression factor of every region, then normalised (``peak``) or checked to lie in [0, 1]
(``none``). Computed in float64, returned as float32 (H, W) in [0, 1].

Display adaptation: an image of W x H pixels is shown on a display at ``on_screen_px`` screen
pixels (default: full-screen, the largest size that keeps its aspect ratio), centred. One degree
then spans ``display.px_per_deg * W / on_screen_w`` image pixels, so the same degree-specified
spec gives each display and viewing distance its own pixel map.
"""

from __future__ import annotations

import functools
import numbers
import os
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.smaps.io import check_size, load_smap, resize_smap
from gazefusion.smaps.spec import Element, Keyframes, SmapSpec, parse_quantity


def screen_scale(
    image_size: tuple[int, int], geometry: DisplayGeometry, on_screen_px: tuple[int, int] | None = None
) -> tuple[float, float]:
    """Screen pixels per image pixel (x, y) for an image of ``image_size`` = (W, H) shown at
    ``on_screen_px`` (default: full-screen with its aspect ratio kept)."""

    width, height = check_size(image_size, "image_size")
    if on_screen_px is None:
        s = geometry.centred_rect((width, height), fit="fill")[2] / width
        return s, s
    on_w, on_h = check_size(on_screen_px, "on_screen_px")
    return on_w / width, on_h / height


def image_px_per_deg(
    image_size: tuple[int, int], geometry: DisplayGeometry, on_screen_px: tuple[int, int] | None = None
) -> tuple[float, float]:
    """Image pixels per degree of visual angle (x, y) at the screen centre for an image shown on
    ``geometry`` (full-screen by default). E.g. the sigma of a 1-degree fixation-map blur."""
    sx, sy = screen_scale(image_size, geometry, on_screen_px)
    return geometry.px_per_deg / sx, geometry.px_per_deg / sy


@dataclass(frozen=True)
class _Canvas:
    """Converts spec quantities (px of the spec canvas, or degrees) to pixels of the output map."""

    width: int
    height: int
    scale_x: float  # output px per spec px
    scale_y: float
    units: str
    geometry: DisplayGeometry | None
    screen_x: float  # screen px per output px
    screen_y: float
    t: float

    def _deg(self, where: str) -> DisplayGeometry:
        if self.geometry is None:
            raise UserInputError(
                f"{where} is in degrees: give a display geometry (spec [display] or --display)"
            )
        return self.geometry

    def x(self, q: object, where: str = "x") -> float:
        value, unit = parse_quantity(q, where)
        if (unit or self.units) == "px":
            return value * self.scale_x
        g = self._deg(where)
        screen = float(g.pos_deg_to_px(np.array(value), np.array(0.0))[0]) - g.width_px / 2
        return self.width / 2 + screen / self.screen_x

    def y(self, q: object, where: str = "y") -> float:
        value, unit = parse_quantity(q, where)
        if (unit or self.units) == "px":
            return value * self.scale_y
        g = self._deg(where)
        screen = float(g.pos_deg_to_px(np.array(0.0), np.array(value))[1]) - g.height_px / 2
        return self.height / 2 + screen / self.screen_y

    def length(self, q: object, axis: str, where: str = "length") -> float:
        """A length along ``axis`` ("x" or "y") in output pixels."""
        value, unit = parse_quantity(q, where)
        if (unit or self.units) == "px":
            return value * (self.scale_x if axis == "x" else self.scale_y)
        return value * self._deg(where).px_per_deg / (self.screen_x if axis == "x" else self.screen_y)

    def resolve(self, value: object, convert) -> np.ndarray:
        """Convert a parameter (plain or keyframed) with ``convert`` and interpolate at ``t``."""
        if not isinstance(value, Keyframes):
            return np.asarray(convert(value), dtype=np.float64)
        frames = np.stack([np.asarray(convert(v), dtype=np.float64) for v in value.values])
        flat = frames.reshape(len(value.times), -1)
        out = [np.interp(self.t, value.times, flat[:, i]) for i in range(flat.shape[1])]
        return np.asarray(out, dtype=np.float64).reshape(frames.shape[1:])

    def scalar(self, element: Element, name: str) -> float:
        return float(self.resolve(element.get(name), float))

    def lengths(self, element: Element, name: str) -> tuple[float, float]:
        """An isotropic length parameter as (along x, along y) output pixels."""
        v = element.get(name)
        lx, ly = self.resolve(v, lambda q: (self.length(q, "x", name), self.length(q, "y", name)))
        return float(lx), float(ly)

    def axis_lengths(self, element: Element, iso: str, name_x: str, name_y: str) -> tuple[float, float]:
        """Output-pixel (x, y) lengths from ``iso`` (e.g. "sigma") or ``name_x`` + ``name_y``."""
        if iso in element.params:
            return self.lengths(element, iso)
        lx = self.resolve(element.params[name_x], lambda q: self.length(q, "x", name_x))
        ly = self.resolve(element.params[name_y], lambda q: self.length(q, "y", name_y))
        return float(lx), float(ly)

    def point(self, value: object, name: str) -> np.ndarray:
        return self.resolve(value, lambda p: (self.x(p[0], name), self.y(p[1], name)))

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        return np.meshgrid(np.arange(self.width, dtype=np.float64), np.arange(self.height, dtype=np.float64))


def _shape_mask(element: Element, canvas: _Canvas, base_dir: str | None) -> np.ndarray:
    """The hard (or, for masks, grey) shape of a rect/ellipse/polygon/mask in [0, 1]."""
    xx, yy = canvas.grid()
    p = element.params
    if element.type == "rect":
        if "box" in p:
            x0, y0, x1, y1 = canvas.resolve(
                p["box"],
                lambda b: (
                    canvas.x(b[0], "box"),
                    canvas.y(b[1], "box"),
                    canvas.x(b[2], "box"),
                    canvas.y(b[3], "box"),
                ),
            )
        else:
            cx, cy = canvas.point(p["center"], "center")
            w, h = canvas.resolve(
                p["extent"],
                lambda e: (canvas.length(e[0], "x", "extent"), canvas.length(e[1], "y", "extent")),
            )
            x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        return ((xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)).astype(np.float64)
    if element.type == "ellipse":
        cx, cy = canvas.point(p["center"], "center")
        rx, ry = canvas.axis_lengths(element, "radius", "radius_x", "radius_y")
        return (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0).astype(np.float64)
    if element.type == "polygon":
        from skimage.draw import polygon2mask

        pts = canvas.resolve(
            p["points"], lambda pts: [(canvas.x(q[0], "points"), canvas.y(q[1], "points")) for q in pts]
        )
        return polygon2mask((canvas.height, canvas.width), pts[:, ::-1]).astype(np.float64)
    if element.type == "mask":
        path = os.path.abspath(p["file"] if base_dir is None else os.path.join(base_dir, p["file"]))
        if not os.path.isfile(path):
            raise UserInputError(f"mask file not found: {path}")
        return _load_mask(path, os.stat(path).st_mtime_ns, canvas.width, canvas.height)
    raise AssertionError(element.type)  # Element validated the type


@functools.lru_cache(maxsize=16)
def _load_mask(path: str, mtime_ns: int, width: int, height: int) -> np.ndarray:
    """A mask file resized to the canvas (cached per file version and size)."""
    mask = resize_smap(load_smap(path), (width, height)).astype(np.float64)
    mask.setflags(write=False)
    return mask


def _gaussian(element: Element, canvas: _Canvas) -> np.ndarray:
    xx, yy = canvas.grid()
    cx, cy = canvas.point(element.params["center"], "center")
    sx, sy = canvas.axis_lengths(element, "sigma", "sigma_x", "sigma_y")
    theta = np.radians(canvas.scalar(element, "angle"))
    dx, dy = xx - cx, yy - cy
    u = dx * np.cos(theta) + dy * np.sin(theta)
    v = -dx * np.sin(theta) + dy * np.cos(theta)
    return np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))


def _element_layer(element: Element, canvas: _Canvas, base_dir: str | None) -> np.ndarray:
    """One element's contribution: shape, soft edge, weight."""
    if element.type == "gaussian":
        layer = _gaussian(element, canvas)
    else:
        layer = _shape_mask(element, canvas, base_dir)
        ex, ey = canvas.lengths(element, "edge")
        if ex > 0 or ey > 0:
            layer = ndimage.gaussian_filter(layer, sigma=(ey, ex), mode="nearest")
    return layer * canvas.scalar(element, "weight")


#: Feathers narrower than this (px) are treated as hard edges (avoids overflow in 1 / feather).
_MIN_FEATHER_PX = 1e-3


def _suppression_factor(region: Element, canvas: _Canvas, base_dir: str | None) -> np.ndarray:
    """1 - strength x (1 inside the region, Gaussian fall-off of sigma ``feather`` outside)."""
    inside = _shape_mask(region, canvas, base_dir) >= 0.5
    fx, fy = canvas.lengths(region, "feather")
    if min(fx, fy) >= _MIN_FEATHER_PX and inside.any():
        # distance to the region in units of the feather sigma (anisotropic feathers allowed)
        dist = ndimage.distance_transform_edt(~inside, sampling=(1.0 / fy, 1.0 / fx))
        reach = np.exp(-0.5 * dist**2)
    else:
        reach = inside.astype(np.float64)
    return 1.0 - canvas.scalar(region, "strength") * reach


def render_spec(
    spec: SmapSpec,
    size: tuple[int, int] | None = None,
    geometry: DisplayGeometry | None = None,
    t: float | None = None,
    on_screen_px: tuple[int, int] | None = None,
) -> np.ndarray:
    """Render ``spec`` to a float32 (H, W) map in [0, 1].

    ``size`` = (width, height) of the output (default: ``spec.size``, else the display's
    resolution); pixel values of the spec are scaled from ``spec.size`` to it. ``geometry``
    (default ``spec.display``) and ``on_screen_px`` (default ``spec.on_screen_px``, else
    full-screen) convert degrees. ``t`` in [0, 1] picks the time of keyframed parameters
    (default 0).
    """
    if not isinstance(spec, SmapSpec):
        raise UserInputError(f"spec must be a SmapSpec, got {type(spec).__name__}")
    geometry = geometry if geometry is not None else spec.display
    on_screen_px = on_screen_px if on_screen_px is not None else spec.on_screen_px
    if size is None:
        size = spec.size or ((geometry.width_px, geometry.height_px) if geometry is not None else None)
        if size is None:
            raise UserInputError("size: the spec has no size or display; give size=(width, height)")
    width, height = check_size(size, "size")
    t = 0.0 if t is None else t
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0.0 <= t <= 1.0:
        raise UserInputError(f"t must be a number in [0, 1], got {t!r}")
    base_w, base_h = spec.size or (width, height)
    screen_x, screen_y = screen_scale((width, height), geometry, on_screen_px) if geometry else (1.0, 1.0)
    canvas = _Canvas(
        width, height, width / base_w, height / base_h, spec.units, geometry, screen_x, screen_y, float(t)
    )
    base_dir = os.fspath(spec.base_dir) if spec.base_dir is not None else None

    layers = [_element_layer(e, canvas, base_dir) for e in spec.elements]
    smap = np.sum(layers, axis=0) if spec.combine == "sum" else np.max(layers, axis=0)
    for region in spec.suppress:
        smap = smap * _suppression_factor(region, canvas, base_dir)
    top = float(smap.max())
    if spec.normalize == "peak":
        if top > 0:
            smap = smap / top * spec.peak  # divide first: no overflow for tiny maxima
    elif top > 1.0 + 1e-9:
        raise UserInputError(
            f"spec with normalize='none' renders to a maximum of {top:.4g} > 1 "
            "(at this size/t); lower the weights or use normalize='peak'"
        )
    return np.clip(smap, 0.0, 1.0).astype(np.float32)


def adapt_to_display(
    spec: SmapSpec,
    image_size: tuple[int, int],
    geometry: DisplayGeometry,
    on_screen_px: tuple[int, int] | None = None,
    t: float | None = None,
) -> np.ndarray:
    """The pixel map an image of ``image_size`` = (W, H) px should be generated with, so that a
    degree-specified ``spec`` holds when the image is shown on ``geometry`` at ``on_screen_px``
    screen pixels (default: full-screen, aspect ratio kept)."""
    if not isinstance(geometry, DisplayGeometry):
        raise UserInputError(f"geometry must be a DisplayGeometry, got {type(geometry).__name__}")
    return render_spec(spec, size=image_size, geometry=geometry, t=t, on_screen_px=on_screen_px)
