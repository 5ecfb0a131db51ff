"""Built-in smaps (``gazefusion/assets/smaps/``) and :func:`resolve_smap`, the one way commands accept a map.

Each built-in is a spec ``NAME.toml`` plus its rendering ``NAME.png`` (512 x 512, 8-bit), made by
``gazefusion smap build-assets``; the PNG is what a built-in name loads, so every command sees
the same bytes. ``smap1`` and ``smap2`` are look-alikes of the original's bundled maps (see
``docs`` / ``gazefusion/assets/smaps/*.toml``), not copies.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.smaps.io import check_size, load_smap, quantize_smap, resize_smap, save_smap, validate_smap
from gazefusion.smaps.render import render_spec
from gazefusion.smaps.spec import SmapSpec

#: The toolkit's default smap: the look-alike of the original generate.py's default ``smap1``.
DEFAULT_SMAP = "smap1"
SPEC_SUFFIXES = (".toml", ".json")


def assets_dir() -> Path:
    """The folder of built-in smaps (``gazefusion/assets/smaps`` in the installed package)."""
    from gazefusion.resources import asset_path

    return asset_path("smaps", must_exist=True)


def builtin_names() -> list[str]:
    """Names of the built-in smaps (the stems of ``gazefusion/assets/smaps/*.toml``), sorted."""
    return sorted(p.stem for p in assets_dir().glob("*.toml"))


def builtin_spec(name: str) -> SmapSpec:
    """The spec of built-in ``name``."""
    return SmapSpec.from_file(_builtin_path(name, ".toml"))


def _builtin_path(name: str, suffix: str) -> Path:
    names = builtin_names()
    if name not in names:
        raise UserInputError(f"unknown built-in smap {name!r}; built-ins: {', '.join(names)}")
    return assets_dir() / f"{name}{suffix}"


def _builtin_name(ref: str) -> str | None:
    """``ref`` as a built-in name ("smap1" or, as the original accepted, "smap1.png"), if it is one."""
    stem = ref[:-4] if ref.lower().endswith(".png") else ref
    if os.sep in stem or "/" in stem:
        return None
    return stem if stem in builtin_names() else None


def resolve_smap(
    ref: str | os.PathLike | SmapSpec | np.ndarray,
    size: tuple[int, int] | None = None,
    geometry: DisplayGeometry | None = None,
    t: float | None = None,
    on_screen_px: tuple[int, int] | None = None,
) -> tuple[np.ndarray, str]:
    """Turn a reference into a map: returns (float32 (H, W) in [0, 1], one-line description).

    ``ref`` is an existing image file (loaded /255 only; resized with antialiased bilinear if
    ``size`` = (width, height) differs), a spec file or :class:`SmapSpec` (rendered at ``size`` /
    ``geometry`` / ``t`` / ``on_screen_px``, see :func:`render_spec`), a built-in name such as ``"smap1"`` (its shipped PNG; at another size,
    or with degrees and a ``geometry``, its spec rendered and rounded to 8 bits like the file),
    or an array (validated, resized like a file).
    """
    if size is not None:
        size = check_size(size, "size")
    if isinstance(ref, SmapSpec):
        return render_spec(
            ref, size=size, geometry=geometry, t=t, on_screen_px=on_screen_px
        ), f"spec{_at(ref, size, t)}"
    if isinstance(ref, np.ndarray):
        return _sized(validate_smap(ref), size, "array")
    if not isinstance(ref, (str, os.PathLike)):
        raise UserInputError(
            f"smap must be a file, spec file, built-in name or array, got {type(ref).__name__}"
        )
    path = Path(ref)
    if path.is_file():
        if path.suffix.lower() in SPEC_SUFFIXES:
            spec = SmapSpec.from_file(path)
            smap = render_spec(spec, size=size, geometry=geometry, t=t, on_screen_px=on_screen_px)
            return smap, f"spec {path}{_at(spec, size, t)}"
        return _sized(load_smap(path), size, f"file {path}")
    name = _builtin_name(os.fspath(ref))
    if name is None:
        raise UserInputError(
            f"smap {os.fspath(ref)!r}: no such file and not a built-in name; "
            f"built-ins: {', '.join(builtin_names())}"
        )
    png = assets_dir() / f"{name}.png"
    smap = load_smap(png)
    spec = builtin_spec(name)
    native = (smap.shape[1], smap.shape[0])
    adapted = (geometry is not None or on_screen_px is not None) and spec.uses_degrees
    if (size is None or size == native) and not adapted and not t:
        return smap, f"built-in {name!r} ({png}, {native[0]}x{native[1]})"
    rendered = quantize_smap(render_spec(spec, size, geometry, t, on_screen_px), bits=8)
    return rendered, f"built-in {name!r} rendered from its spec{_at(spec, size, t)}, 8-bit levels"


def _at(spec: SmapSpec, size: tuple[int, int] | None, t: float | None) -> str:
    where = (
        f" at {size[0]}x{size[1]}"
        if size is not None
        else (f" at {spec.size[0]}x{spec.size[1]}" if spec.size else "")
    )
    return where + (f", t={t:g}" if t is not None else "")


def _sized(smap: np.ndarray, size: tuple[int, int] | None, what: str) -> tuple[np.ndarray, str]:
    h, w = smap.shape
    if size is None or size == (w, h):
        return smap, f"{what} ({w}x{h})"
    return resize_smap(smap, size), f"{what} ({w}x{h}, resized to {size[0]}x{size[1]})"


def build_assets(folder: str | os.PathLike | None = None, check: bool = False) -> dict[str, bool]:
    """Render every ``*.toml`` spec in ``folder`` (default: the built-ins) to ``NAME.png`` (8-bit).

    With ``check=True`` nothing is written. Returns {name: whether the PNG was missing or its
    pixels differed from the spec's rendering}.
    """
    root = Path(folder) if folder is not None else assets_dir()
    specs = sorted(root.glob("*.toml"))
    if not specs:
        raise UserInputError(f"no *.toml smap specs in {root}")
    changed: dict[str, bool] = {}
    for spec_path in specs:
        smap = quantize_smap(render_spec(SmapSpec.from_file(spec_path)), bits=8)
        png = spec_path.with_suffix(".png")
        changed[spec_path.stem] = not png.is_file() or not np.array_equal(load_smap(png), smap)
        if not check:
            save_smap(png, smap, bits=8)
    return changed
