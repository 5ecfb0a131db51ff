"""Fixation datasets in the layouts others publish them, for ``gazefusion metrics --fixations``.

- **pysaliency** HDF5 exports (``Fixations.to_hdf5`` / ``FixationTrains.to_hdf5``, read with
  ``pysaliency.read_hdf5``; needs ``h5py``): fixation ``x``, ``y`` in image pixels (the same
  convention as :mod:`metrics.fixations`: pixel ``(floor(y), floor(x))``) and the stimulus index
  ``n``. The images are named by the ``FileStimuli`` export beside it (``stimuli.hdf5``, as
  pysaliency's dataset folders hold it, e.g. ``MIT1003/fixations.hdf5`` + ``MIT1003/stimuli.hdf5``):
  stimulus ``n`` is the file stem of its ``filenames[n]``.
- **MIT1003** (Judd et al. 2009): ``ALLSTIMULI/<name>.jpeg`` and ``ALLFIXATIONMAPS/<name>_fixPts.jpg``
  (binary fixation maps) / ``<name>_fixMap.jpg`` (fixation-density maps). Files are matched to the
  stimuli by ``<name>``, with the ``_fixPts``/``_fixMap`` suffix removed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError

#: Suffix of MIT1003's per-image files, by target kind.
MIT1003_SUFFIXES = {"fixations": "_fixPts", "density": "_fixMap"}
PYSALIENCY_SUFFIXES = (".hdf5", ".h5")


def mit1003_index(folder: Path, kind: str, extensions: tuple[str, ...]) -> dict[str, Path] | None:
    """``{image name: file}`` of MIT1003's ``<name>_fixPts``/``<name>_fixMap`` files in ``folder``
    (or its ``ALLFIXATIONMAPS`` sub-folder); ``None`` when the folder has none of that ``kind``."""
    suffix = MIT1003_SUFFIXES[kind]
    for root in (folder, folder / "ALLFIXATIONMAPS"):
        if not root.is_dir():
            continue
        found = {
            p.stem[: -len(suffix)]: p
            for p in sorted(root.iterdir())
            if p.is_file() and p.suffix.lower() in extensions and p.stem.endswith(suffix)
        }
        if found:
            return found
    return None


def pysaliency_files(path: Path) -> tuple[Path, Path] | None:
    """``(fixations, stimuli)`` HDF5 files when ``path`` is a pysaliency export (a ``.hdf5`` file,
    or a folder holding ``fixations.hdf5``); ``None`` otherwise."""
    if path.is_dir():
        fix = next(
            (path / f"fixations{s}" for s in PYSALIENCY_SUFFIXES if (path / f"fixations{s}").is_file()), None
        )
        if fix is None:
            return None
    elif path.suffix.lower() in PYSALIENCY_SUFFIXES:
        fix = path
    else:
        return None
    stim = next(
        (fix.parent / f"stimuli{s}" for s in PYSALIENCY_SUFFIXES if (fix.parent / f"stimuli{s}").is_file()),
        None,
    )
    if stim is None:
        raise UserInputError(
            f"--fixations {path}: a pysaliency fixations export needs the stimuli export beside it "
            f"({fix.parent / 'stimuli.hdf5'}, pysaliency FileStimuli) to name the images"
        )
    return fix, stim


def read_pysaliency_fixations(fixations: Path, stimuli: Path) -> dict[str, np.ndarray]:
    """``{image stem: (K, 2) float array of (x, y) px}`` from a pysaliency export pair."""
    try:
        import pysaliency
    except ImportError:
        raise UserInputError(
            "--fixations: reading pysaliency exports needs pysaliency (pip install pysaliency)"
        ) from None
    try:
        fix = pysaliency.read_hdf5(str(fixations))
        stim = pysaliency.read_hdf5(str(stimuli))
    except ImportError as exc:
        raise UserInputError(f"--fixations: reading pysaliency exports needs h5py ({exc})") from None
    except (OSError, KeyError, ValueError) as exc:
        raise UserInputError(
            f"--fixations: cannot read the pysaliency export {fixations} / {stimuli}: {exc}"
        ) from None
    if not isinstance(fix, pysaliency.Fixations):
        raise UserInputError(
            f"--fixations {fixations}: expected a pysaliency Fixations or FixationTrains export, "
            f"found {type(fix).__name__}"
        )
    if not isinstance(stim, pysaliency.FileStimuli):
        raise UserInputError(
            f"--fixations: {stimuli}: expected a pysaliency FileStimuli export (image file names), "
            f"found {type(stim).__name__}"
        )
    names = [Path(str(f)).stem for f in stim.filenames]
    n = np.asarray(fix.n, dtype=np.int64)
    if n.size and (n.min() < 0 or n.max() >= len(names)):
        raise UserInputError(
            f"--fixations {fixations}: fixations of stimulus {int(n.max())} but {stimuli} names "
            f"{len(names)} stimuli: expected the stimuli export of the same dataset"
        )
    xy = np.stack([np.asarray(fix.x, dtype=np.float64), np.asarray(fix.y, dtype=np.float64)], axis=1)
    return {name: xy[n == i] for i, name in enumerate(names) if np.any(n == i)}
