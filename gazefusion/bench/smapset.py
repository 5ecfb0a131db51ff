"""The benchmark's smap set: image files, spec files, built-in names or folders of them.

A folder contributes every smap image (``.png``, ``.jpg``, ..., ``.npy``) and every spec file
(``.toml``, ``.json``) in it; when an image and a spec share a stem (``smap1.png`` rendered from
``smap1.toml``), the image is used, as the original loads its smaps from image files. Each smap's
id is its file stem (or the built-in name); ids must be unique. All maps are brought to one
generation size (``size`` = (width, height), default the first map's size) with
:func:`gazefusion.smaps.io.resize_smap`; maps are otherwise kept as loaded (divided by 255 only).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.resources import asset_path

SPEC_EXTENSIONS = (".toml", ".json")

#: The default smap set: the maps bundled with the toolkit.
#: The default smap folder: the built-in smaps (see :func:`gazefusion.smaps.assets_dir`).
DEFAULT_SMAP_DIR = asset_path("smaps")


@dataclass(frozen=True)
class BenchSmap:
    """One smap of the set: id (file stem or name), float32 (H, W) map in [0, 1], source description."""

    smap_id: str
    smap: np.ndarray
    source: str


def expand_smap_refs(refs: Sequence[str | os.PathLike]) -> list[str]:
    """Folders expanded into their smap files (image preferred over a spec of the same stem); others kept."""
    from gazefusion.utils.images import MAP_EXTENSIONS

    out: list[str] = []
    for ref in refs:
        path = Path(ref)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            images = {p.stem: p for p in files if p.suffix.lower() in MAP_EXTENSIONS}
            specs = {p.stem: p for p in files if p.suffix.lower() in SPEC_EXTENSIONS}
            chosen = {**specs, **images}
            out.extend(str(chosen[stem]) for stem in sorted(chosen))
        else:
            out.append(os.fspath(ref))
    return out


def load_smap_set(refs: Sequence[str | os.PathLike], size: tuple[int, int] | None = None) -> list[BenchSmap]:
    """Resolve ``refs`` (files, spec files, built-in names, folders) into smaps of one size.

    Raises
    ------
    UserInputError
        If the set is empty, a reference cannot be resolved, or two smaps share an id.
    """
    from gazefusion.smaps import resolve_smap
    from gazefusion.smaps.io import resize_smap

    expanded = expand_smap_refs(refs)
    if not expanded:
        shown = ", ".join(os.fspath(r) for r in refs) or "(none given)"
        raise UserInputError(f"--smaps: the smap set is empty: no smap images or spec files in {shown}")
    smaps: list[BenchSmap] = []
    seen: dict[str, str] = {}
    for ref in expanded:
        array, description = resolve_smap(ref)
        smap_id = _smap_id(ref)
        if smap_id in seen:
            raise UserInputError(f"--smaps: two smaps share the id {smap_id!r}: {seen[smap_id]} and {ref}")
        seen[smap_id] = ref
        if size is None:
            size = (array.shape[1], array.shape[0])
        smaps.append(BenchSmap(smap_id, resize_smap(np.asarray(array, np.float32), size), str(description)))
    return smaps


def _smap_id(ref: str) -> str:
    path = Path(ref)
    stem = path.stem if path.suffix else path.name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
