"""The smap being designed in the app, and the operations on it (pure functions, no UI).

A :class:`Design` is what the page holds: a canvas of ``width`` x ``height`` px shown on a display
(:class:`~gazefusion.geometry.DisplayGeometry`, so that sizes in degrees mean what they say), an
optional *base* map (a built-in smap, an uploaded map or a photo's predicted saliency), painted
*attention* and *suppress* strokes, clicked Gaussian blobs and clicked suppression discs.

It is turned into an ordinary :class:`~gazefusion.smaps.SmapSpec` (:func:`to_spec`): the base and
the strokes become ``mask`` elements / suppression regions read from grey PNGs beside the spec
(the brush softness is the masks' ``edge`` / ``feather``), blobs ``gaussian`` elements, discs
``ellipse`` suppression regions. The map the ControlNet receives is that spec rendered at the
canvas size and rounded to 8 bits (:func:`render_design`), i.e. exactly what the exported PNG
holds after the file/255 convention, and what ``gazefusion smap render SPEC -o PNG`` reproduces.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.geometry import DEFAULT_LAB_DISPLAY, DisplayGeometry

#: Sides of a generated image must be multiples of this (the SD2.1-base VAE's downsampling factor).
SIZE_MULTIPLE = 8
#: Mask files written beside a design's spec.
MASK_FILES = {"base": "base.png", "attention": "attention.png", "suppress": "suppress.png"}
UNITS = ("px", "deg")


@dataclass(frozen=True)
class Blob:
    """A Gaussian blob: centre (x, y) in canvas px, ``sigma`` in ``unit`` (px or deg), peak ``weight``."""

    x: float
    y: float
    sigma: float
    unit: str = "px"
    weight: float = 1.0


@dataclass(frozen=True)
class Disc:
    """A suppression disc: centre (x, y) in canvas px, ``radius`` and ``feather`` in ``unit``."""

    x: float
    y: float
    radius: float
    unit: str = "px"
    feather: float = 0.0


@dataclass(frozen=True, eq=False)
class Design:
    """The designed smap (immutable; every operation returns a new one).

    Maps (``base``, ``attention``, ``suppress``) are float32 (H, W) in [0, 1] of any size (they are
    resized to the canvas when rendered) or None. ``softness_px`` is the brush's soft edge (the
    Gaussian sigma of the strokes, px); ``stroke_weight`` the value of a fully painted stroke.
    """

    width: int = 512
    height: int = 512
    display: DisplayGeometry = DEFAULT_LAB_DISPLAY
    base: np.ndarray | None = None
    base_source: str = ""
    attention: np.ndarray | None = None
    suppress: np.ndarray | None = None
    softness_px: float = 8.0
    stroke_weight: float = 1.0
    blobs: tuple[Blob, ...] = ()
    discs: tuple[Disc, ...] = ()
    clicks: tuple[str, ...] = field(default=(), repr=False)  # "blob"/"disc" in click order (undo)
    combine: str = "max"
    normalize: str = "none"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the canvas in px."""
        return self.width, self.height


def check_side(value: object, name: str, multiple: int = SIZE_MULTIPLE) -> int:
    """A canvas side: a positive integer multiple of ``multiple`` px (else a one-line error)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise UserInputError(f"{name}: expected a positive whole number of pixels, found {value!r}")
    if value % multiple:
        raise UserInputError(
            f"{name}: expected a multiple of {multiple} px (the model's size step), found {value}"
        )
    if value > 4096:
        raise UserInputError(f"{name}: expected at most 4096 px, found {value}")
    return int(value)


def with_canvas(design: Design, width: object, height: object, display: DisplayGeometry) -> Design:
    """The design on a canvas of ``width`` x ``height`` px (multiples of 8) shown on ``display``."""
    if not isinstance(display, DisplayGeometry):
        raise UserInputError(f"display: expected a DisplayGeometry, found {type(display).__name__}")
    return replace(
        design, width=check_side(width, "width"), height=check_side(height, "height"), display=display
    )


def display_from_fields(
    width_px: object, height_px: object, width_cm: object, distance_cm: object
) -> DisplayGeometry:
    """A :class:`DisplayGeometry` from the page's four fields (screen px, screen width and distance in cm)."""
    values = {"screen width (px)": width_px, "screen height (px)": height_px}
    ints = {}
    for name, v in values.items():
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise UserInputError(f"{name}: expected a positive whole number, found {v!r}")
        ints[name] = v
    for name, v in {"screen width (cm)": width_cm, "viewing distance (cm)": distance_cm}.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
            raise UserInputError(f"{name}: expected a positive number, found {v!r}")
    return DisplayGeometry(
        width_px=ints["screen width (px)"],
        height_px=ints["screen height (px)"],
        width_cm=float(width_cm),
        distance_cm=float(distance_cm),
    )


def with_base(design: Design, smap: np.ndarray | None, source: str = "") -> Design:
    """The design starting from ``smap`` (float32 (H, W) in [0, 1], any size; None: no base)."""
    from gazefusion.smaps import validate_smap

    if smap is None:
        return replace(design, base=None, base_source="")
    return replace(design, base=validate_smap(smap, name="base map"), base_source=source)


def base_from_builtin(design: Design, name: str) -> Design:
    """Start from the built-in smap ``name``, at the canvas size (8-bit levels, as its file)."""
    from gazefusion.smaps import resolve_smap

    smap, source = resolve_smap(name, size=design.size)
    return with_base(design, smap, source)


def base_from_file(design: Design, path: str | os.PathLike) -> Design:
    """Start from an uploaded map file (divided by its format maximum only, e.g. /255)."""
    from gazefusion.smaps import load_smap

    return with_base(design, load_smap(path), f"file {Path(path).name}")


def base_from_photo(design: Design, path: str | os.PathLike, scorer: str) -> Design:
    """Start from the saliency that the registry model ``scorer`` predicts for a photo file."""
    from gazefusion.saliency import get_saliency_model
    from gazefusion.utils.images import read_rgb

    image = read_rgb(path)
    model = get_saliency_model(scorer)
    if not model.is_available():
        raise UserInputError(f"scorer: {scorer!r} cannot run here (its weights are missing)")
    return with_base(design, model.predict(image)[0], f"{scorer} prediction of {Path(path).name}")


def with_strokes(
    design: Design,
    attention: np.ndarray | None,
    suppress: np.ndarray | None,
    softness_px: float | None = None,
    stroke_weight: float | None = None,
) -> Design:
    """The design with painted ``attention`` / ``suppress`` amounts (float (H, W) in [0, 1]; None or
    all zero: no strokes), brush softness (px) and stroke weight."""
    softness = design.softness_px if softness_px is None else float(softness_px)
    weight = design.stroke_weight if stroke_weight is None else float(stroke_weight)
    if not (math.isfinite(softness) and softness >= 0):
        raise UserInputError(f"brush softness: expected >= 0 px, found {softness_px!r}")
    if not (math.isfinite(weight) and 0 <= weight <= 1):
        raise UserInputError(f"stroke weight: expected a number in [0, 1], found {stroke_weight!r}")

    def clean(m: np.ndarray | None) -> np.ndarray | None:
        if m is None:
            return None
        m = np.clip(np.asarray(m, dtype=np.float32), 0.0, 1.0)
        return m if float(m.max(initial=0.0)) > 0 else None

    return replace(
        design,
        attention=clean(attention),
        suppress=clean(suppress),
        softness_px=softness,
        stroke_weight=weight,
    )


def _check_click(design: Design, x: float, y: float, size: float, unit: str, what: str) -> None:
    if unit not in UNITS:
        raise UserInputError(f"{what} unit: expected px or deg, found {unit!r}")
    if not (math.isfinite(size) and size > 0):
        raise UserInputError(f"{what} size: expected a number > 0, found {size!r}")
    if not (0 <= x <= design.width and 0 <= y <= design.height):
        raise UserInputError(
            f"{what} position: expected a point on the {design.width}x{design.height} canvas, found ({x}, {y})"
        )


def add_blob(
    design: Design, x: float, y: float, sigma: float, unit: str = "px", weight: float = 1.0
) -> Design:
    """Add a Gaussian blob centred at canvas pixel (x, y) with ``sigma`` in px or deg."""
    _check_click(design, x, y, sigma, unit, "blob")
    if not (math.isfinite(weight) and 0 < weight <= 1):
        raise UserInputError(f"blob weight: expected a number in (0, 1], found {weight!r}")
    blob = Blob(float(x), float(y), float(sigma), unit, float(weight))
    return replace(design, blobs=(*design.blobs, blob), clicks=(*design.clicks, "blob"))


def add_disc(
    design: Design, x: float, y: float, radius: float, unit: str = "px", feather: float = 0.0
) -> Design:
    """Add a suppression disc centred at canvas pixel (x, y) (radius and feather in px or deg)."""
    _check_click(design, x, y, radius, unit, "suppression disc")
    if not (math.isfinite(feather) and feather >= 0):
        raise UserInputError(f"suppression feather: expected >= 0, found {feather!r}")
    disc = Disc(float(x), float(y), float(radius), unit, float(feather))
    return replace(design, discs=(*design.discs, disc), clicks=(*design.clicks, "disc"))


def undo_click(design: Design) -> Design:
    """Remove the last placed blob or disc (unchanged when there is none)."""
    if not design.clicks:
        return design
    last = design.clicks[-1]
    if last == "blob":
        return replace(design, blobs=design.blobs[:-1], clicks=design.clicks[:-1])
    return replace(design, discs=design.discs[:-1], clicks=design.clicks[:-1])


def _q(value: float, unit: str) -> float | str:
    """A length as a spec value: a bare number for px (the spec's unit), "Ndeg" for degrees."""
    return float(value) if unit == "px" else f"{float(value):g}deg"


def _masks(design: Design) -> dict[str, np.ndarray]:
    """The non-empty maps of the design, keyed like :data:`MASK_FILES`."""
    maps = {"base": design.base, "attention": design.attention, "suppress": design.suppress}
    return {k: v for k, v in maps.items() if v is not None}


def to_spec(design: Design, description: str = "designed in gazefusion app"):
    """The design as a :class:`~gazefusion.smaps.SmapSpec` whose masks are the files of
    :data:`MASK_FILES` (relative paths: write them with :func:`write_design` beside the spec).

    Raises :class:`UserInputError` for an empty design (nothing that adds attention).
    """
    from gazefusion.smaps import SmapSpec

    masks = _masks(design)
    elements: list[dict] = []
    if "base" in masks:
        elements.append({"type": "mask", "file": MASK_FILES["base"]})
    if "attention" in masks:
        elements.append(
            {
                "type": "mask",
                "file": MASK_FILES["attention"],
                "edge": design.softness_px,
                "weight": design.stroke_weight,
            }
        )
    for b in design.blobs:
        elements.append(
            {"type": "gaussian", "center": [b.x, b.y], "sigma": _q(b.sigma, b.unit), "weight": b.weight}
        )
    if not elements:
        raise UserInputError(
            "smap: the map is empty; paint attention, click to place a blob, or start from a built-in or uploaded map"
        )
    suppress: list[dict] = []
    if "suppress" in masks:
        suppress.append({"type": "mask", "file": MASK_FILES["suppress"], "feather": design.softness_px})
    for d in design.discs:
        suppress.append(
            {
                "type": "ellipse",
                "center": [d.x, d.y],
                "radius": _q(d.radius, d.unit),
                "feather": _q(d.feather, d.unit),
            }
            if d.feather > 0
            else {"type": "ellipse", "center": [d.x, d.y], "radius": _q(d.radius, d.unit)}
        )
    return SmapSpec.from_dict(
        {
            "description": description,
            "size": [design.width, design.height],
            "units": "px",
            "combine": design.combine,
            "normalize": design.normalize,
            "display": design.display.to_json(),
            "elements": elements,
            "suppress": suppress,
        }
    )


def write_design(
    design: Design, folder: str | os.PathLike, stem: str = "smap"
) -> tuple[Path, Path, np.ndarray]:
    """Write the design into ``folder``: ``{stem}.toml`` (the spec), its mask PNGs and ``{stem}.png``
    (the rendered map, 8-bit). Returns (spec path, PNG path, the map as the ControlNet receives it).

    Everything is validated (and the map rendered) before anything is written; each file is
    written atomically, so an error leaves the folder as it was.
    """
    from gazefusion.smaps import save_smap

    spec = to_spec(design)
    smap = _render(spec, design)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for key, array in _masks(design).items():
        save_smap(out / MASK_FILES[key], _quantize(array))
    spec_path, png = out / f"{stem}.toml", out / f"{stem}.png"
    spec.to_file(spec_path)
    save_smap(png, smap)
    return spec_path, png, smap


def render_design(design: Design) -> np.ndarray:
    """The designed map as the ControlNet receives it: float32 (H, W) on 8-bit levels (the exported
    PNG / 255). Raises :class:`UserInputError` for an empty design or an all-zero map."""
    return _render(to_spec(design), design)


def _quantize(array: np.ndarray) -> np.ndarray:
    from gazefusion.smaps import quantize_smap

    return quantize_smap(np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0))


def _render(spec, design: Design) -> np.ndarray:
    """Render ``spec`` with in-memory masks (as the written 8-bit files would give), then 8-bit levels."""
    import tempfile

    from gazefusion.smaps import quantize_smap, render_spec, save_smap

    with tempfile.TemporaryDirectory(prefix="gazefusion-app-") as tmp:
        for key, array in _masks(design).items():
            save_smap(Path(tmp) / MASK_FILES[key], _quantize(array))
        smap = render_spec(spec.replace(base_dir=Path(tmp)))
    if float(smap.max()) <= 0.0:
        raise UserInputError(
            "smap: the map is empty (all zero after suppression); paint attention or place a blob outside the suppressed area"
        )
    return quantize_smap(smap)
