"""Smap specs: a saliency map described as data (a TOML or JSON file, or a dict).

A spec lists *elements* (shapes that add attention) and *suppression regions* (where attention is
forced low). The format, shared with the benchmark and the study::

    description = "one blob right of centre"
    size = [512, 512]        # [width, height] of the canvas that pixel values refer to
    units = "px"             # unit of bare numbers: "px" or "deg"; a string "1.5deg" / "40px" overrides
    combine = "sum"          # "sum" or "max" of the elements
    normalize = "peak"       # "peak": scale so the maximum equals `peak`; "none": weights are values
    peak = 1.0
    # on_screen_px = [1080, 1080]   # on-screen size of the image (default: full-screen, aspect kept)

    [display]                # optional gazefusion.geometry.DisplayGeometry, needed for degrees
    width_px = 1920
    height_px = 1080
    width_cm = 53.1
    distance_cm = 60.0

    [[elements]]
    type = "gaussian"        # gaussian | rect | ellipse | polygon | mask
    center = [406, 301]
    sigma_x = 95             # or `sigma` (isotropic)
    sigma_y = 77
    weight = 1.0

    [[suppress]]
    type = "rect"            # rect | ellipse | polygon | mask
    box = [0, 0, 128, 512]   # [x0, y0, x1, y1]
    feather = 10             # Gaussian fall-off outside the region
    strength = 1.0           # 1 multiplies the region to exactly 0

Element parameters (lengths and positions accept units; ``weight``/``angle``/``strength`` do not):

- ``gaussian``: ``center``, ``sigma`` or ``sigma_x`` + ``sigma_y``, ``angle`` (deg, clockwise on
  screen), ``weight`` (the value at the centre).
- ``rect``: ``box`` or ``center`` + ``extent`` ([width, height]); ``ellipse``: ``center``,
  ``radius`` or ``radius_x`` + ``radius_y``; ``polygon``: ``points`` ([[x, y], ...], >= 3);
  ``mask``: ``file`` (grey image, relative to the spec file, resized to the canvas). These take
  ``edge`` (sigma of a Gaussian blur giving a soft edge; 0 = hard) and ``weight``.
- Suppression regions take ``feather`` and ``strength`` instead of ``edge`` and ``weight``.

Keyframes (video): any numeric parameter may instead be a list of ``{t = ..., value = ...}``
tables with t in [0, 1] increasing; :func:`~gazefusion.smaps.render.render_spec` interpolates
linearly at its ``t`` and holds the end values outside the keyed range.

Coordinates: x right, y down, origin top-left; pixel (row i, column j) has its centre at
(x=j, y=i). Degree *positions* are measured from the image centre with y **up** (the convention
of :mod:`gazefusion.geometry`); degree *lengths* use the display's centre pixels per degree.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SkipValidation, field_validator, model_serializer, model_validator
from pydantic.json_schema import SkipJsonSchema

from gazefusion.config import Config
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.smaps.io import check_size

UNITS = ("px", "deg")
COMBINE_MODES = ("sum", "max")
NORMALIZE_MODES = ("peak", "none")

# Parameter kinds: how a value is validated and (in render.py) converted to image pixels.
#   scalar: unitless number; length: quantity > 0; length0: quantity >= 0; pos: [x, y];
#   box: [x0, y0, x1, y1]; extent: [w > 0, h > 0]; points: [[x, y], ...]; file: path string.
_EDGE = {"edge": "length0", "weight": "scalar"}
_FEATHER = {"feather": "length0", "strength": "scalar"}
_SHAPES: dict[str, dict[str, str]] = {
    "gaussian": {
        "center": "pos",
        "sigma": "length",
        "sigma_x": "length",
        "sigma_y": "length",
        "angle": "scalar",
    },
    "rect": {"box": "box", "center": "pos", "extent": "extent"},
    "ellipse": {"center": "pos", "radius": "length", "radius_x": "length", "radius_y": "length"},
    "polygon": {"points": "points"},
    "mask": {"file": "file"},
}
ELEMENT_TYPES = tuple(_SHAPES)
REGION_TYPES = ("rect", "ellipse", "polygon", "mask")
# Alternatives: exactly one of these groups of parameters must be given.
_ONE_OF = {
    "gaussian": (("sigma",), ("sigma_x", "sigma_y")),
    "rect": (("box",), ("center", "extent")),
    "ellipse": (("radius",), ("radius_x", "radius_y")),
    "polygon": (("points",),),
    "mask": (("file",),),
}
_REQUIRED = {"gaussian": ("center",), "ellipse": ("center",)}
DEFAULTS = {"angle": 0.0, "weight": 1.0, "edge": 0.0, "feather": 0.0, "strength": 1.0}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z%]*)\s*$")


class Keyframes(Config):
    """A parameter that changes over normalised time t in [0, 1] (linear interpolation).

    Its file form (:meth:`to_json`, read back by :meth:`from_json`) is the list of
    ``{t = ..., value = ...}`` tables of the spec file.
    """

    times: tuple[float, ...]
    values: tuple[Any, ...]

    @model_validator(mode="before")
    @classmethod
    def _from_frames(cls, data: Any) -> Any:
        if isinstance(data, list | tuple) and all(isinstance(f, Mapping) for f in data):
            return {"times": [f.get("t") for f in data], "values": [f.get("value") for f in data]}
        return data

    @field_validator("values")
    @classmethod
    def _frozen(cls, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return _freeze(values)

    @model_validator(mode="after")
    def _one_value_per_time(self) -> Keyframes:
        if len(self.times) != len(self.values):
            raise UserInputError(
                f"keyframes: expected one value per time, found {len(self.times)} times and "
                f"{len(self.values)} values"
            )
        return self

    @model_serializer
    def _frames(self) -> list[dict[str, Any]]:
        return [{"t": t, "value": _thaw(v)} for t, v in zip(self.times, self.values, strict=True)]


def parse_quantity(value: object, where: str) -> tuple[float, str | None]:
    """Split a number or a string like ``"1.5deg"`` into (number, unit); unit None = spec default."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UserInputError(f"{where}: expected a number or a string like '1.5deg', got {value!r}")
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if not match:
            raise UserInputError(
                f"{where}: cannot read {value!r}; expected a number with a unit, e.g. '1.5deg'"
            )
        number, unit = float(match.group(1)), match.group(2) or None
        if unit is not None and unit not in UNITS:
            raise UserInputError(
                f"{where}: unknown unit {unit!r} in {value!r}; known units: {', '.join(UNITS)}"
            )
    else:
        number, unit = float(value), None
    if not math.isfinite(number):
        raise UserInputError(f"{where}: must be finite, got {value!r}")
    return number, unit


def _check_scalar(value: object, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserInputError(f"{where}: expected a plain finite number (no unit), got {value!r}")


def _check_list(value: object, n: int | None, where: str, what: str) -> list:
    if not isinstance(value, (list, tuple)) or (n is not None and len(value) != n):
        raise UserInputError(f"{where}: expected {what}, got {value!r}")
    return list(value)


def _check_value(kind: str, value: object, where: str) -> None:
    """Validate one (non-keyframed) parameter value of the given kind."""
    if kind == "scalar":
        _check_scalar(value, where)
    elif kind in ("length", "length0"):
        number, _ = parse_quantity(value, where)
        if number < 0 or (kind == "length" and number == 0):
            bound = "> 0" if kind == "length" else ">= 0"
            raise UserInputError(f"{where}: must be {bound}, got {value!r}")
    elif kind == "pos":
        for i, v in enumerate(_check_list(value, 2, where, "[x, y]")):
            parse_quantity(v, f"{where}[{i}]")
    elif kind == "box":
        for i, v in enumerate(_check_list(value, 4, where, "[x0, y0, x1, y1]")):
            parse_quantity(v, f"{where}[{i}]")
    elif kind == "extent":
        for i, v in enumerate(_check_list(value, 2, where, "[width, height]")):
            _check_value("length", v, f"{where}[{i}]")
    elif kind == "points":
        points = _check_list(value, None, where, "a list of >= 3 points [[x, y], ...]")
        if len(points) < 3:
            raise UserInputError(f"{where}: a polygon needs >= 3 points, got {len(points)}")
        for i, p in enumerate(points):
            _check_value("pos", p, f"{where}[{i}]")
    elif kind == "file":
        if not isinstance(value, str) or not value:
            raise UserInputError(f"{where}: expected a file path string, got {value!r}")


def _freeze(value: Any) -> Any:
    """Lists -> tuples, recursively (so specs are immutable and comparable)."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Keyframes):
        return value.to_json()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _is_keyframes(value: object) -> bool:
    return isinstance(value, Keyframes) or (
        isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, Mapping) for v in value)
    )


def _parse_param(kind: str, value: object, where: str) -> Any:
    """Validate a parameter (plain or keyframed) and return its frozen form."""
    if kind == "file" or not _is_keyframes(value):
        _check_value(kind, value, where)
        return _freeze(value)
    if isinstance(value, Keyframes):
        value = value.to_json()
    times, values = [], []
    for i, frame in enumerate(value):
        if set(frame) != {"t", "value"}:
            raise UserInputError(
                f"{where}[{i}]: a keyframe needs exactly the keys 't' and 'value', got {sorted(frame)}"
            )
        _check_scalar(frame["t"], f"{where}[{i}].t")
        if not 0.0 <= frame["t"] <= 1.0 or (times and frame["t"] <= times[-1]):
            raise UserInputError(
                f"{where}[{i}].t: keyframe times must increase within [0, 1], got {frame['t']!r}"
            )
        _check_value(kind, frame["value"], f"{where}[{i}].value")
        times.append(float(frame["t"]))
        values.append(_freeze(frame["value"]))
    if kind == "points" and len({len(v) for v in values}) > 1:
        raise UserInputError(f"{where}: every keyframe of a polygon needs the same number of points")
    return Keyframes(times=tuple(times), values=tuple(values))


class Element(Config):
    """One shape of a spec: ``type`` and its parameters (as in the file, validated, immutable).

    ``role`` is "element" (adds attention) or "suppress" (a suppression region). In a spec file an
    element is one table, ``{type = ..., <params>}``, of the ``elements`` or ``suppress`` list.
    """

    type: str
    params: SkipValidation[dict[str, Any]]
    role: Literal["element", "suppress"] = "element"

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        """The parameters of the type checked and frozen (errors say which element and parameter)."""
        if not isinstance(data, Mapping):
            return data
        type_, params, role = data.get("type"), data.get("params", {}), data.get("role", "element")
        where = f"{role} ({type_!r})"
        if role not in ("element", "suppress"):
            raise UserInputError(f"role must be 'element' or 'suppress', got {role!r}")
        allowed_types = ELEMENT_TYPES if role == "element" else REGION_TYPES
        if type_ not in allowed_types:
            raise UserInputError(
                f"{role} type {type_!r} is unknown; expected one of {', '.join(allowed_types)}"
            )
        schema = {**_SHAPES[type_], **(_EDGE if role == "element" else _FEATHER)}
        if not isinstance(params, Mapping):
            raise UserInputError(f"{where}: parameters must be a table, got {type(params).__name__}")
        unknown = sorted(set(params) - set(schema))
        if unknown:
            raise UserInputError(f"{where}: unknown parameter(s) {unknown}; known: {sorted(schema)}")
        for name in _REQUIRED.get(type_, ()):
            if name not in params:
                raise UserInputError(f"{where}: missing required parameter {name!r}")
        groups = [g for g in _ONE_OF[type_] if any(k in params for k in g)]
        if len(groups) != 1 or not all(k in params for k in groups[0]):
            options = " or ".join("+".join(g) for g in _ONE_OF[type_])
            raise UserInputError(f"{where}: give exactly one of {options}; got {sorted(params)}")
        frozen = {
            name: _parse_param(schema[name], value, f"{where} {name}")
            for name, value in sorted(params.items())
        }
        for name in ("weight", "strength"):
            for v in _values(frozen.get(name, DEFAULTS[name])):
                if v < 0 or (name == "strength" and v > 1):
                    bound = "in [0, 1]" if name == "strength" else ">= 0"
                    raise UserInputError(f"{where} {name}: must be {bound}, got {v!r}")
        return {**data, "params": _FrozenParams(frozen)}

    def get(self, name: str) -> Any:
        """The parameter's stored value, or its default (None if it has none)."""
        return self.params.get(name, DEFAULTS.get(name))


class _FrozenParams(dict):
    """A read-only, hashable dict for element parameters."""

    def _readonly(self, *args: object, **kwargs: object) -> None:
        raise TypeError("element parameters are read-only")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __reduce__(self) -> tuple:
        return (_FrozenParams, (dict(self),))  # pickle/copy without calling the blocked __setitem__


def _values(value: Any) -> tuple[Any, ...]:
    return value.values if isinstance(value, Keyframes) else (value,)


_SPEC_KEYS = (
    "description",
    "size",
    "display",
    "on_screen_px",
    "units",
    "combine",
    "normalize",
    "peak",
    "elements",
    "suppress",
)


class SmapSpec(Config):
    """A saliency map described as data; render it with :func:`gazefusion.smaps.render_spec`.

    ``size`` = (width, height) of the canvas that pixel values refer to (rendering at another size
    scales them); without it the canvas is the display's resolution or the size given at render
    time. ``base_dir`` is where relative mask files are looked up (the spec file's folder; not part
    of the file form). :meth:`to_json` is the file form (what :meth:`from_dict` reads).
    """

    description: str = ""
    size: tuple[int, int] | None = None
    on_screen_px: tuple[int, int] | None = None
    units: Literal["px", "deg"] = "px"
    combine: Literal["sum", "max"] = "sum"
    normalize: Literal["peak", "none"] = "peak"
    peak: float = Field(1.0, gt=0, le=1)
    display: DisplayGeometry | None = None
    elements: tuple[Element, ...]
    suppress: tuple[Element, ...] = ()
    base_dir: SkipJsonSchema[Path | None] = Field(None, exclude=True, repr=False)

    @classmethod
    def field_label(cls, loc: Any) -> str:
        """``spec peak``, ``spec display.width_cm``."""
        return "spec " + ".".join(str(p) for p in loc) if loc else "spec"

    @model_validator(mode="before")
    @classmethod
    def _file_form(cls, data: Any) -> Any:
        """Known keys; the entries of ``elements`` and ``suppress`` read as :class:`Element`."""
        if not isinstance(data, Mapping):
            raise UserInputError(f"spec must be a table/object, got {type(data).__name__}")
        unknown = sorted(str(k) for k in set(data) - set(_SPEC_KEYS) - {"base_dir"})
        if unknown:
            raise UserInputError(f"spec: unknown key(s) {unknown}; known: {list(_SPEC_KEYS)}")
        out = dict(data)
        for key, role in (("elements", "element"), ("suppress", "suppress")):
            items = out.get(key, [])
            if not isinstance(items, list | tuple):
                raise UserInputError(f"spec {key}: expected a list of tables, got {items!r}")
            out[key] = [_element(item, role, f"{key}[{i}]") for i, item in enumerate(items)]
        return out

    @field_validator("size", "on_screen_px", mode="before")
    @classmethod
    def _size(cls, value: Any, info: Any) -> Any:
        return None if value is None else check_size(value, f"spec {info.field_name}")

    @field_validator("elements")
    @classmethod
    def _some_elements(cls, value: tuple[Element, ...]) -> tuple[Element, ...]:
        if not value:
            raise ValueError("at least one element")
        if any(e.role != "element" for e in value):
            raise ValueError("Element objects with role 'element'")
        return value

    @field_validator("suppress")
    @classmethod
    def _regions(cls, value: tuple[Element, ...]) -> tuple[Element, ...]:
        if any(e.role != "suppress" for e in value):
            raise ValueError("Element objects with role 'suppress'")
        return value

    @model_serializer(mode="wrap")
    def _as_file(self, handler: Any) -> dict[str, Any]:
        """The file form: entries as ``{type, <params>}`` tables, unset keys left out (TOML has no null)."""
        data = handler(self)
        for key in ("size", "on_screen_px", "display"):
            if data.get(key) is None:
                data.pop(key, None)
        if not self.suppress:
            data.pop("suppress", None)
        for key in ("elements", "suppress"):
            if key in data:
                data[key] = [{"type": e["type"], **e["params"]} for e in data[key]]
        return data

    @property
    def uses_degrees(self) -> bool:
        """Whether rendering needs a display geometry (some length or position is in degrees)."""
        return any(
            _uses_degrees(v, self.units)
            for e in (*self.elements, *self.suppress)
            for k, v in e.params.items()
            if k not in ("weight", "angle", "strength", "file")
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base_dir: str | os.PathLike | None = None) -> SmapSpec:
        """Build a spec from a dict (the parsed TOML/JSON); unknown keys are an error. Relative mask
        files resolve against ``base_dir``."""
        if not isinstance(d, Mapping) or base_dir is None:
            return cls.from_json(d)
        if "base_dir" in d:  # a field, but not a key of the file
            raise UserInputError(f"spec: unknown key(s) ['base_dir']; known: {list(_SPEC_KEYS)}")
        return cls.from_json({**d, "base_dir": Path(base_dir)})

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> SmapSpec:
        """Read a ``.toml`` or ``.json`` spec; relative mask files resolve against its folder."""
        from gazefusion.utils.datafiles import read_data_file

        p = Path(path)
        data = read_data_file(p, "spec")
        try:
            return cls.from_dict(data, base_dir=p.parent)
        except UserInputError as exc:
            raise UserInputError(f"{p}: {exc}") from None

    def to_file(self, path: str | os.PathLike) -> None:
        """Write the spec as TOML or JSON (by extension), atomically."""
        import tomli_w

        from gazefusion.utils.atomic import atomic_write_text

        p = Path(path)
        if p.suffix.lower() == ".toml":
            atomic_write_text(p, tomli_w.dumps(self.to_json()))
        elif p.suffix.lower() == ".json":
            atomic_write_text(p, json.dumps(self.to_json(), indent=2) + "\n")
        else:
            raise UserInputError(f"spec file must end in .toml or .json, got {p}")


def _element(item: Any, role: str, where: str) -> Any:
    """A file entry ``{type = ..., <params>}`` as an :class:`Element`; errors say which entry
    (``elements[2]: ...``)."""
    if isinstance(item, Element):
        return item
    if not isinstance(item, Mapping) or "type" not in item:
        raise UserInputError(f"{where}: each {role} must be a table with a 'type' key, got {item!r}")
    try:
        return Element(type=item["type"], params={k: v for k, v in item.items() if k != "type"}, role=role)
    except UserInputError as exc:
        raise UserInputError(f"{where}: {exc}") from None


def _uses_degrees(value: Any, default_unit: str) -> bool:
    if isinstance(value, Keyframes):
        return any(_uses_degrees(v, default_unit) for v in value.values)
    if isinstance(value, tuple):
        return any(_uses_degrees(v, default_unit) for v in value)
    if isinstance(value, str):
        return parse_quantity(value, "")[1] == "deg"
    return default_unit == "deg"
