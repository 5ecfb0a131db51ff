"""``gazefusion metrics``: score folders of saliency maps against density maps and fixations.

Files are matched by stem (``img01.png`` in PRED_DIR with ``img01.png``/``img01.npy`` in
TARGET_DIR and ``--fixations``). Density metrics (cc, kld, sim, emd) use TARGET_DIR; fixation
metrics (nss, the AUCs, information gain) use ``--fixations`` (fixation-map images/``.npy``, any
non-zero pixel fixated, or ``.csv`` files with ``x,y`` columns in pixels; or a dataset as others
publish it, see :mod:`gazefusion.data.fixation_datasets`: a pysaliency ``Fixations``/``FixationTrains`` HDF5 export
with its ``stimuli.hdf5``, or MIT1003's ``<name>_fixPts`` maps, TARGET_DIR its ``<name>_fixMap``
maps). The shuffled AUC takes
its negatives from the fixations of ``--shuffle-others`` other images (MIT/Borji: 10), taken in
name order after the image. Output: a Parquet table with one row per image and metric
(``image, metric, value``), written crash-safely every ``--checkpoint`` images; re-running the
same command resumes it. The table's metadata records the inputs and settings (folders, baseline,
seed, ``--shuffle-others``); a re-run with others is refused unless ``--overwrite``. A run that
scores nothing is an error (exit 2) that says why, and writes nothing. EMD is refused on maps
that shrink to fewer than 4 bins per side (under 97 px, see :mod:`metrics.emd`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, print_warning
from gazefusion.errors import UserInputError
from gazefusion.progress import tracked

_POINT_EXTENSIONS = (".csv", ".tsv")


def _read_fixations(path, shape: tuple[int, int]):
    """A fixation map (H, W) from an image/.npy map, a .csv/.tsv of x,y pixel positions, or an
    (K, 2) array of x,y pixel positions (a pysaliency export's fixations of one image)."""
    import numpy as np

    from gazefusion.utils.images import read_gray

    if isinstance(path, np.ndarray):
        from metrics import fixations_to_map

        try:
            return fixations_to_map(path, shape) > 0
        except ValueError as exc:
            raise UserInputError(f"pysaliency fixations: {exc}") from None
    if path.suffix.lower() in _POINT_EXTENSIONS:
        import pandas as pd

        from metrics import fixations_to_map

        try:
            table = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",")
        except (OSError, ValueError) as exc:
            raise UserInputError(f"cannot read fixations {path}: {exc}") from None
        cols = {c.lower().strip(): c for c in table.columns}
        if "x" not in cols or "y" not in cols:
            raise UserInputError(f"fixations {path} must have columns x and y, found {list(table.columns)}")
        try:
            pts = table[[cols["x"], cols["y"]]].to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise UserInputError(f"fixations {path}: columns x and y must hold numbers (pixels)") from None
        try:
            return fixations_to_map(pts, shape) > 0
        except ValueError as exc:
            raise UserInputError(f"fixations {path}: {exc}") from None
    return read_gray(path) > 0


def _dataset_index(folder: Path, kind: str, extensions: tuple[str, ...]) -> dict:
    """Files of ``folder`` by image name: MIT1003's ``<name>_fixPts``/``_fixMap`` files when it
    has them; for ``--fixations``, a pysaliency export's points by image; else by file stem."""
    from gazefusion.data.fixation_datasets import mit1003_index, pysaliency_files, read_pysaliency_fixations

    if kind == "fixations" and (pair := pysaliency_files(folder)) is not None:
        return read_pysaliency_fixations(*pair)
    found = mit1003_index(folder, kind, extensions)
    return found if found is not None else _index(folder, extensions)


def _index(folder: Path, extensions: tuple[str, ...]) -> dict[str, Path]:
    from gazefusion.utils.images import MAP_EXTENSIONS, list_images

    files = list_images(folder, extensions=extensions if extensions else MAP_EXTENSIONS)
    out: dict[str, Path] = {}
    for f in files:
        out.setdefault(f.stem, f)
    return out


#: Key of the run record in the Parquet table's metadata.
_RECORD_KEY = b"gazefusion.metrics"


def _load_previous(path: Path, params: dict, overwrite: bool) -> list[dict]:
    """The rows of an earlier run to resume (none with ``overwrite``); other settings are refused."""
    import json

    import pandas as pd
    import pyarrow.parquet as pq

    from gazefusion.utils.records import differences, other_parameters_error

    if not path.is_file() or overwrite:
        return []
    try:
        table = pd.read_parquet(path)
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as exc:
        raise UserInputError(
            f"-o: cannot read the existing {path} to resume ({' '.join(str(exc).split())}); "
            "delete it, pick another name or pass --overwrite"
        ) from None
    if list(table.columns[:3]) != ["image", "metric", "value"]:
        raise UserInputError(f"-o: {path} is not a metrics table (columns {list(table.columns)})")
    if _RECORD_KEY in meta:
        diffs = differences(json.loads(meta[_RECORD_KEY]), params)
        if diffs:
            raise other_parameters_error("-o", path, diffs)
    return table.to_dict("records")


def _write(rows: list[dict], path: Path, params: dict) -> None:
    import json

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gazefusion.utils.atomic import atomic_path

    table = pa.Table.from_pandas(
        pd.DataFrame(rows, columns=["image", "metric", "value"]), preserve_index=False
    )
    meta = {**(table.schema.metadata or {}), _RECORD_KEY: json.dumps(params).encode()}
    with atomic_path(path) as tmp:
        pq.write_table(table.replace_schema_metadata(meta), tmp)


def _summary(rows: list[dict]) -> None:
    import pandas as pd
    from rich.table import Table

    table = Table(title="metrics (mean over images)")
    for col in ("metric", "n", "mean", "std", "min", "max"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    frame = pd.DataFrame(rows, columns=["image", "metric", "value"])
    for metric, group in frame.groupby("metric", sort=False):
        v = group["value"].astype(float)
        table.add_row(
            str(metric),
            str(int(v.notna().sum())),
            f"{v.mean():.4f}",
            f"{v.std():.4f}",
            f"{v.min():.4f}",
            f"{v.max():.4f}",
        )
    console.print(table)


def metrics_command(
    pred_dir: Path = typer.Argument(..., help="Folder of predicted saliency maps (images or .npy)."),
    target_dir: Path = typer.Argument(
        ..., help="Folder of continuous fixation-density maps, matched by name."
    ),
    fixations: Path = typer.Option(
        None,
        "--fixations",
        help="Folder of fixation maps or x,y .csv files, matched "
        "by name (needed by nss, auc_*, information_gain); or a pysaliency fixations .hdf5 export "
        "(stimuli.hdf5 beside it) or an MIT1003 folder (<name>_fixPts maps).",
    ),
    out: Path = typer.Option(Path("scores.parquet"), "--out", "-o", help="Output Parquet table."),
    metric: list[str] = typer.Option(
        None,
        "--metric",
        "-m",
        help="Metric to compute, repeatable (default: every metric the inputs allow).",
    ),
    baseline: Path = typer.Option(
        None, "--baseline", help="Baseline map for information_gain (default: uniform)."
    ),
    shuffle_others: int = typer.Option(
        10, "--shuffle-others", help="Other images whose fixations are the negatives of auc_shuffled."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the stochastic metrics (AUC jitter and draws)."),
    checkpoint: int = typer.Option(200, "--checkpoint", help="Write the table every N images."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an existing --out table made from other inputs or settings."
    ),
) -> None:
    """Score saliency maps against density maps and fixations (MIT benchmark conventions)."""
    import numpy as np

    from gazefusion.utils.images import MAP_EXTENSIONS, read_gray
    from gazefusion.utils.paths import check_output_file
    from metrics import METRICS
    from metrics.emd import check_emd_size

    check_output_file(out, "-o")

    for name, folder in (("PRED_DIR", pred_dir), ("TARGET_DIR", target_dir), ("--fixations", fixations)):
        if folder is not None and not folder.is_dir():
            if name == "--fixations" and folder.is_file() and folder.suffix.lower() in (".hdf5", ".h5"):
                continue  # a pysaliency export
            raise UserInputError(f"{name}: folder not found: {folder}")
    names = (
        list(dict.fromkeys(metric))
        if metric
        else [n for n, s in METRICS.items() if s.target == "density" or fixations is not None]
    )
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise UserInputError(f"--metric: unknown {', '.join(unknown)}; known: {', '.join(METRICS)}")
    if fixations is None and any(METRICS[n].target == "fixations" for n in names):
        raise UserInputError(
            "--metric: "
            + ", ".join(n for n in names if METRICS[n].target == "fixations")
            + " need --fixations DIR"
        )
    if shuffle_others < 1 or checkpoint < 1:
        raise UserInputError("--shuffle-others and --checkpoint must be positive integers")

    preds = _index(pred_dir, MAP_EXTENSIONS)
    targets = _dataset_index(target_dir, "density", MAP_EXTENSIONS)
    fix_files = (
        _dataset_index(fixations, "fixations", (*MAP_EXTENSIONS, *_POINT_EXTENSIONS))
        if fixations is not None
        else {}
    )
    needs_fix = any(METRICS[n].target == "fixations" for n in names)
    matched = sorted(s for s in preds if s in targets and (not needs_fix or s in fix_files))
    unmatched = sorted((set(preds) | set(targets) | set(fix_files)) - set(matched))
    base_map = read_gray(baseline) if baseline is not None else None
    params = {
        "pred_dir": str(pred_dir.resolve()),
        "target_dir": str(target_dir.resolve()),
        "fixations": None if fixations is None else str(fixations.resolve()),
        "baseline": None if baseline is None else str(baseline.resolve()),
        "shuffle_others": shuffle_others,
        "seed": seed,
    }
    rows = _load_previous(out, params, overwrite)
    n_before = len(rows)
    done = {(r["image"], r["metric"]) for r in rows}
    problems: list[str] = []
    fix_cache: dict[tuple[str, tuple[int, int]], np.ndarray] = {}

    def fixation_map(stem: str, shape: tuple[int, int]) -> np.ndarray:
        key = (stem, tuple(shape))
        if key not in fix_cache:
            if len(fix_cache) > 64:  # keep memory bounded on large folders
                fix_cache.pop(next(iter(fix_cache)))
            fix_cache[key] = _read_fixations(fix_files[stem], shape)
        return fix_cache[key]

    todo = [s for s in matched if any((s, n) not in done for n in names)]
    with RichProgress() as progress:
        try:  # whatever happens, the scores computed so far are kept
            for count, stem in enumerate(tracked(todo, progress, "scoring"), start=1):
                try:
                    pred = read_gray(preds[stem])
                    target = read_gray(targets[stem])
                    fix = fixation_map(stem, target.shape) if needs_fix else None
                except UserInputError as exc:
                    problems.append(f"{stem}: unreadable ({exc})")
                    continue
                for name in names:
                    if (stem, name) in done:
                        continue
                    spec = METRICS[name]
                    kwargs = {"seed": seed} if spec.stochastic else {}
                    try:
                        if name == "emd":
                            check_emd_size(target.shape)
                        if name == "auc_shuffled":
                            kwargs["other"] = _other_fixations(
                                stem, matched, fix.shape, fixation_map, shuffle_others
                            )
                        if name == "information_gain" and base_map is not None:
                            kwargs["baseline"] = base_map
                        value = spec.fn(pred, target if spec.target == "density" else fix, **kwargs)
                    except (ValueError, UserInputError) as exc:
                        problems.append(f"{stem}/{name}: {exc}")
                        continue
                    if not np.isfinite(value):
                        problems.append(f"{stem}/{name}: not a finite score ({value}); not recorded")
                        continue
                    rows.append({"image": stem, "metric": name, "value": float(value)})
                if count % checkpoint == 0:
                    _write(rows, out, params)
        finally:
            if len(rows) > n_before or (overwrite and rows):
                _write(rows, out, params)

    for line in [f"unmatched (skipped): {s}" for s in unmatched] + problems:
        print_warning(" ".join(line.splitlines()))
    if not rows:
        why = (
            f"no file of PRED_DIR {pred_dir} has a match in TARGET_DIR {target_dir}"
            + (" and --fixations" if needs_fix else "")
            if not matched
            else f"all {len(problems)} score(s) failed (first: {problems[0]})"
            if problems
            else "no score was computed"
        )
        raise UserInputError(f"nothing scored: {' '.join(why.splitlines())}; nothing written")
    if rows:
        _summary(rows)
    console.print(
        f"{len({r['image'] for r in rows})} image(s), {len(rows)} score(s) -> {out}"
        + (
            f"; {len(unmatched)} unmatched, {len(problems)} problem(s) listed above"
            if unmatched or problems
            else ""
        )
    )


def _other_fixations(stem: str, stems: list[str], shape: tuple[int, int], fixation_map, k: int):
    """Union of the fixations of the ``k`` images after ``stem`` (cyclic, name order) of the same size."""
    import numpy as np

    i = stems.index(stem)
    union = np.zeros(shape, dtype=bool)
    used = 0
    for other in stems[i + 1 :] + stems[:i]:
        if used == k:
            break
        try:
            fmap = fixation_map(other, shape)
        except UserInputError:
            continue
        if fmap.shape == shape:
            union |= fmap
            used += 1
    if not union.any():
        raise ValueError(f"no other image of size {shape[1]}x{shape[0]} has fixations for auc_shuffled")
    return union


def register(app: typer.Typer) -> None:
    """Add ``gazefusion metrics`` to ``app``."""
    app.command("metrics")(metrics_command)
