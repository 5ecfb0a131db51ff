"""The dataset manifest: one Parquet row per finished (image, smap, prompt) training crop.

Columns (paths are relative to the dataset folder):

=====================  ====================================================================
``id``                 crop id, ``{source stem}_{k}`` (k counts from 1, as the original's names)
``source``             source image path, relative to the raw-images folder
``box_left/top/right/bottom``  crop box in pixels of the resized source (right/bottom exclusive)
``resized_width/height``       size of the source after its shorter side was resized
``image``              crop image file (``images/…``)
``smap``               saliency map file (``smaps/….png``, 8-bit grey)
``prompt``             caption
``saliency_model``, ``saliency_convention``, ``captioner``  where the smap and prompt came from
=====================  ====================================================================

The manifest is rewritten atomically and only ever lists rows whose three parts are complete.
"""

from __future__ import annotations

import os
from pathlib import Path

from gazefusion.errors import UserInputError

MANIFEST_NAME = "manifest.parquet"

COLUMNS = (
    "id",
    "source",
    "box_left",
    "box_top",
    "box_right",
    "box_bottom",
    "resized_width",
    "resized_height",
    "image",
    "smap",
    "prompt",
    "saliency_model",
    "saliency_convention",
    "captioner",
)


def write_manifest(path: str | os.PathLike, rows: list[dict]) -> None:
    """Write ``rows`` (dicts with :data:`COLUMNS`) sorted by id, atomically."""
    import pandas as pd

    from gazefusion.utils.atomic import atomic_path

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
    with atomic_path(path, suffix=".parquet") as tmp:
        frame.to_parquet(tmp, index=False)


def read_manifest(path: str | os.PathLike):
    """The manifest as a pandas DataFrame (columns :data:`COLUMNS`)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"manifest not found: {p}")
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises several unrelated types for a broken file
        raise UserInputError(f"cannot read manifest {p}: {type(exc).__name__}: {exc}") from None
    missing = [c for c in ("id", "image", "smap", "prompt") if c not in frame.columns]
    if missing:
        raise UserInputError(f"manifest {p} lacks the column(s) {missing}")
    return frame
