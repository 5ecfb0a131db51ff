"""Import recordings made elsewhere into a study database (``gazefusion study import``).

Sources (one module each): ``eyelink-asc`` (:mod:`study.importers.eyelink`), ``tobii-tsv``
(:mod:`study.importers.tobii`), ``iohub-hdf5`` (:mod:`study.importers.iohub`). Each file becomes
one complete session in the same SQLite storage the runner writes (:class:`study.storage.StudyStore`),
so ``study export`` and ``analyze study`` read it unchanged. A file is validated and built
completely before anything is written, and written in one transaction; a file already imported
(same sha256) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gazefusion.errors import UserInputError
from study.config import StudyConfig

SOURCES = ("eyelink-asc", "tobii-tsv", "iohub-hdf5")


@dataclass
class ImportResult:
    """One file's outcome: ``status`` is ``"imported"`` or ``"skipped"`` (already imported)."""

    path: Path
    status: str
    participant: str
    session: str
    n_trials: int = 0
    n_samples: int = 0
    sampling_rate_hz: float = 0.0


def read_recording(source: str, path: Path, data: bytes, config: StudyConfig):
    """Parse one file of ``source`` into a :class:`~study.importers.common.Recording`."""
    if source == "eyelink-asc":
        from study.importers.eyelink import read_eyelink_asc

        return read_eyelink_asc(path, data)
    if source == "tobii-tsv":
        from study.importers.tobii import read_tobii_tsv

        return read_tobii_tsv(path, data)
    if source == "iohub-hdf5":
        from study.importers.iohub import read_iohub_hdf5

        return read_iohub_hdf5(path, data, (config.display.width_px, config.display.height_px))
    raise UserInputError(f"SOURCE: expected one of {', '.join(SOURCES)}, got {source!r}")


def import_files(
    source: str,
    files: list[Path],
    config: StudyConfig,
    db: Path,
    participant: str | None = None,
    session: str = "1",
    log: Callable[[str], None] = lambda msg: None,
) -> list[ImportResult]:
    """Import ``files`` of ``source`` into ``db``, one session per file (participant: the file's
    stem unless ``participant`` is given, which needs a single file). Stops at the first bad
    file; the files before it stay imported (each file is all or nothing)."""
    from study.importers.common import (
        build_session,
        check_resolution,
        imported_hashes,
        participant_from_file,
        sha256,
        store_session,
    )
    from study.storage import StudyStore

    if source not in SOURCES:
        raise UserInputError(f"SOURCE: expected one of {', '.join(SOURCES)}, got {source!r}")
    if participant is not None and len(files) > 1:
        raise UserInputError("--participant names one session: give one file, or leave it out (file stems)")
    results = []
    for path in files:
        path = Path(path)
        if not path.is_file():
            raise UserInputError(f"{path}: no such file")
        data = path.read_bytes()
        digest = sha256(data)
        done = None
        if Path(db).is_file():
            with StudyStore.open_existing(db) as store:
                done = imported_hashes(store).get(digest)
        if done:
            log(
                f"{path.name}: already imported (same sha256) as participant {done[0]!r} session "
                f"{done[1]!r}; nothing to do"
            )
            results.append(ImportResult(path, "skipped", done[0], done[1]))
            continue
        rec = read_recording(source, path, data, config)
        check_resolution(rec, config, tolerant=source == "eyelink-asc")
        plan, records = build_session(rec, config)
        pid = participant or participant_from_file(path)
        with StudyStore(db) as store:
            store_session(store, rec, config, plan, records, pid, session, digest)
        for note in rec.notes:
            log(note)
        n = sum(len(r.samples) for r in records)
        log(
            f"{path.name}: imported as participant {pid!r} session {session!r}: {len(records)} trials, "
            f"{n} samples at {rec.sampling_rate_hz:g} Hz ({rec.eye} eye)"
        )
        results.append(ImportResult(path, "imported", pid, session, len(records), n, rec.sampling_rate_hz))
    return results
