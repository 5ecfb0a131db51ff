"""The benchmark's result table: its columns, its part-files and their merge.

Layout of an output folder::

    bench.json                 the BenchConfig (a resumed run must match it)
    smaps/<smap>.png           the smaps as used (at the generation size, 16-bit)
    images/<condition>/<item>.png (+ .json sidecar)
    predictions/<scorer>/<condition>/<item>.png   the scorer's map of the image (8-bit)
    parts/<item>.parquet       rows of one finished item, written atomically (the resume marker)
    results.parquet            all parts merged, sorted (rewritten at the end of every run)

One row per (prompt, smap, seed, condition, control_scale, target, scorer, metric). ``condition``
is ``gazefusion`` or ``baseline``; ``target`` is ``aligned`` (scored against the row's smap) or
``shuffled`` (scored against ``target_smap``, another smap of the set; the chance control).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from gazefusion.errors import UserInputError
from gazefusion.utils.atomic import atomic_path

#: Columns of the result table, in order.
COLUMNS = (
    "prompt_id",
    "prompt",
    "smap",
    "seed",
    "condition",
    "control_scale",
    "target",
    "target_smap",
    "scorer",
    "metric",
    "value",
    "image",
    "prediction",
    "item",
)
#: Columns that identify a row (the table is unique on them).
KEY_COLUMNS = ("prompt_id", "smap", "seed", "condition", "control_scale", "target", "scorer", "metric")
RESULTS_FILE = "results.parquet"
PARTS_DIR = "parts"
CONFIG_FILE = "bench.json"


def part_path(out_dir: str | os.PathLike, item_key: str) -> Path:
    """The part-file of one work item."""
    return Path(out_dir) / PARTS_DIR / f"{item_key}.parquet"


def finished_items(out_dir: str | os.PathLike) -> set[str]:
    """Keys of the items whose part-file exists (temporary files of interrupted writes ignored)."""
    folder = Path(out_dir) / PARTS_DIR
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.glob("*.parquet") if not p.name.startswith(".")}


def write_part(out_dir: str | os.PathLike, item_key: str, rows: list[dict]) -> None:
    """Write one item's rows as its part-file, atomically (a crash leaves no partial rows)."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    with atomic_path(part_path(out_dir, item_key)) as tmp:
        frame.to_parquet(tmp, index=False)


def sort_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the canonical order (by the key columns), index reset."""
    return frame.sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)


def read_results(path: str | os.PathLike) -> pd.DataFrame:
    """The result table of an output folder (merged from its part-files) or of a Parquet file.

    Reading the parts makes the table complete even when a run stopped before its final merge.
    """
    p = Path(path)
    if p.is_dir():
        parts = sorted(q for q in (p / PARTS_DIR).glob("*.parquet") if not q.name.startswith("."))
        if not parts:
            if (p / RESULTS_FILE).is_file():
                return sort_results(pd.read_parquet(p / RESULTS_FILE))
            raise UserInputError(
                f"RESULTS: no benchmark results in {p} (no {PARTS_DIR}/*.parquet, no {RESULTS_FILE})"
            )
        # pyarrow reads the folder as one dataset; it skips names starting with '.' (temporary files).
        return sort_results(pd.read_parquet(p / PARTS_DIR))
    if p.is_file():
        try:
            return sort_results(pd.read_parquet(p))
        except (OSError, ValueError) as exc:
            raise UserInputError(f"RESULTS: cannot read {p} as Parquet: {exc}") from None
    raise UserInputError(f"RESULTS: not found: {p} (expected a bench output folder or a results.parquet)")


def merge_results(out_dir: str | os.PathLike) -> Path:
    """Merge the part-files into ``results.parquet`` (atomically) and return its path."""
    frame = read_results(out_dir)
    target = Path(out_dir) / RESULTS_FILE
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return target
