"""`study import eyelink-asc` on real EyeLink recordings this project did not write: the ASC test
files of pymovements (tests/study/files/, MIT licence, see the README there), and the bad-input
cases: one error line naming the file and the line, the database unchanged."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gazefusion.cli import main
from study.storage import StudyStore

FILES = Path(__file__).parent / "files"
BINOCULAR = FILES / "eyelink_binocular_example.asc"  # EyeLink Portable Duo, both eyes, 1000 Hz
TRUNCATED = FILES / "raccoons.asc"  # EyeLink 1000 excerpt that stops inside its recording
MONO_1KHZ = FILES / "eyelink_monocular_example.asc"  # 1000 Hz, DISPLAY_COORDS 0 0 1279 1023
MONO_2KHZ = FILES / "eyelink_monocular_2khz_example.asc"  # 2000 Hz, 1280x1024 screen

# the binocular file's own messages: "start_trial 0", "TRIALID I902C_low", ..., "stop_trial"
BINOCULAR_MESSAGES = """
[messages]
trial = '^start_trial\\s+(?P<trial>\\d+)'
stimulus = '^TRIALID\\s+(?P<stimulus>\\S+)'
trial_end = '^stop_trial'
"""


def write_config(folder: Path, stimuli: list[str], size=(1920, 1080), extra: str = "") -> Path:
    """A study config for real recordings: ``stimuli`` are image stems, drawn as grey PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stimuli").mkdir(exist_ok=True)
    entries = []
    for stem in stimuli:
        Image.new("RGB", (400, 300), (120, 120, 120)).save(folder / "stimuli" / f"{stem}.png")
        entries.append(f'[[stimuli]]\nimage = "stimuli/{stem}.png"\nid = "{stem}"\n')
    path = folder / "study.toml"
    path.write_text(
        f'name = "real"\n[display]\nwidth_px = {size[0]}\nheight_px = {size[1]}\nwidth_cm = 53.1\n'
        f"distance_cm = 60.0\n" + "".join(entries) + extra
    )
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["study", "import", *args])
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def import_command(kind: str):
    """``run(capsys, path, config, db) -> (exit code, console text on one line)`` of ``study import KIND``."""

    def run(capsys, path: Path, cfg: Path, db: Path) -> tuple[int, str]:
        code, out, err = run_cli(capsys, kind, str(path), "--config", str(cfg), "-o", str(db))
        return code, " ".join((out + err).split())

    return run


def assert_refused(capsys, run, cases, study: Path, db: Path) -> None:
    """Each ``(file, expected text)`` of ``cases`` imported by ``run`` (:func:`import_command`) is one
    ``error:`` line containing the text, exit status 2, and leaves the database as it was."""
    before = dump(db)
    for path, expected in cases:
        code, out = run(capsys, path, study, db)
        assert code == 2 and out.startswith("error:") and expected in out, (expected, out)
        assert dump(db) == before


@pytest.fixture
def two_stimulus_study(tmp_path):
    """A study config with stimuli a and b (1920x1080 display)."""
    return write_config(tmp_path / "study", ["a", "b"])


def dump(db: Path) -> dict:
    """Every table's rows (what "unchanged" means)."""
    con = sqlite3.connect(db)
    tables = ("sessions", "trials", "samples", "events", "messages", "frames", "calibrations")
    return {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables}


@pytest.fixture
def binocular_study(tmp_path):
    return write_config(tmp_path / "study", ["I902C_low"], extra=BINOCULAR_MESSAGES)


def test_real_binocular_recording_is_imported_once(binocular_study, tmp_path, capsys):
    db = tmp_path / "db.sqlite"
    code, out, err = run_cli(
        capsys, "eyelink-asc", str(BINOCULAR), "--config", str(binocular_study), "-o", str(db)
    )
    assert code == 0, err
    assert "imported as participant 'eyelink_binocular_example'" in " ".join(out.split())
    with StudyStore.open_existing(db) as store:
        sessions = store.table("sessions")
        samples = store.table("samples")
        trials = store.table("trials")
        events = store.table("events")
    assert list(sessions["status"]) == ["complete"] and sessions["sampling_rate_hz"].iloc[0] == 1000.0
    software = json.loads(sessions["software"].iloc[0])
    assert software["source_file"] == BINOCULAR.name
    assert software["source_sha256"] == hashlib.sha256(BINOCULAR.read_bytes()).hexdigest()
    assert json.loads(sessions["tracker"].iloc[0])["settings"]["eye"] == "left+right"
    # the trial runs from "start_trial 0" to "stop_trial" (1408866 .. 1408900 ms): 35 samples
    assert list(trials["stimulus_id"]) == ["I902C_low"] and trials["n_samples"].iloc[0] == 35
    assert trials["stimulus_onset"].iloc[0] == pytest.approx(1408.866)
    assert trials["trial_end"].iloc[0] == pytest.approx(1408.900)
    # blinks: the file's "." samples stay missing (NaN), never interpolated
    lost = samples[samples["valid"] == 0]
    assert len(lost) > 0 and lost["x_px"].isna().all() and lost["x_deg"].isna().all()
    assert np.allclose(samples["system_time"].diff().dropna(), 0.001)
    # the left eye is used, the right one while only the left is lost (as the runner's adapter does):
    # 1408873 ms ". . 0.0 974.6 632.4 249.0" (left blink still on), 1408884 "1009.6 483.1 252.0 939.4 ..."
    at = samples.set_index(samples["system_time"].round(3))
    assert tuple(at.loc[1408.873, ["x_px", "y_px", "pupil"]]) == (974.6, 632.4, 249.0)
    assert tuple(at.loc[1408.884, ["x_px", "y_px", "pupil"]]) == (1009.6, 483.1, 252.0)
    assert at.loc[1408.872, "valid"] == 0 and np.isnan(at.loc[1408.872, "x_px"])
    fix = events[events["name"] == "fixation"]
    assert list(fix[["x_px", "y_px"]].itertuples(index=False, name=None)) == [(959.6, 533.7)]
    assert fix["duration"].iloc[0] == pytest.approx(0.129)

    before = dump(db)
    code, out, err = run_cli(
        capsys, "eyelink-asc", str(BINOCULAR), "--config", str(binocular_study), "-o", str(db)
    )
    assert code == 0 and "already imported (same sha256)" in " ".join(out.split())
    assert dump(db) == before

    from study.export import export_study

    (prefix,) = export_study(db, tmp_path / "bids")
    assert prefix.name == "sub-eyelinkbinocularexample_ses-1_task-freeview"


def test_2000_hz_recording_keeps_its_rate(tmp_path, capsys):
    cfg = write_config(
        tmp_path / "s",
        ["0", "1", "2", "3", "4"],
        size=(1280, 1024),
        extra="[messages]\nstimulus = '^TRIALID\\s+(?P<stimulus>\\d+)'\n",
    )
    db = tmp_path / "db.sqlite"
    code, _, err = run_cli(capsys, "eyelink-asc", str(MONO_2KHZ), "--config", str(cfg), "-o", str(db))
    assert code == 0, err
    con = sqlite3.connect(db)
    assert con.execute("SELECT sampling_rate_hz FROM sessions").fetchone() == (2000.0,)
    assert con.execute("SELECT count(*) FROM trials").fetchone() == (5,)


def _bad(tmp_path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.fixture
def filled_db(binocular_study, tmp_path):
    """A database with one imported session already in it."""
    from study.config import StudyConfig
    from study.importers import import_files

    db = tmp_path / "filled.sqlite"
    copy = tmp_path / "earlier.asc"
    shutil.copy(BINOCULAR, copy)
    import_files("eyelink-asc", [copy], StudyConfig.from_file(binocular_study), db)
    return db


def _bad_cases(tmp_path: Path, study: Path) -> list[tuple[Path, Path, str]]:
    text = BINOCULAR.read_text()
    lines = text.splitlines(keepends=True)
    rate_change = "".join(lines[:200]) + "MSG\t1408700 RECCFG CR 500 2 1 LR\n" + "".join(lines[200:])
    png = tmp_path / "picture.asc"
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    gone = tmp_path / "gone"
    shutil.copytree(study.parent, gone)
    (gone / "stimuli" / "I902C_low.png").unlink()
    other = write_config(tmp_path / "other", ["something_else"], extra=BINOCULAR_MESSAGES)
    fresh = _bad(tmp_path, "fresh.asc", text + "\n")  # another file (hash) with the same recording
    small = write_config(tmp_path / "small", ["I902C_low"], size=(1280, 1024), extra=BINOCULAR_MESSAGES)
    return [
        (
            MONO_1KHZ,
            study,
            "eyelink_monocular_example.asc: line 18 (DISPLAY_COORDS 0 0 1279 1023): the recording's screen is "
            "1280x1024 px but the study config's [display] is 1920x1080 px",
        ),
        (TRUNCATED, study, r"raccoons.asc: line 535: the file ends inside a recording (START at line 89)"),
        (png, study, "picture.asc: line 1: "),
        (
            _bad(tmp_path, "notes.asc", "just some notes\n"),
            study,
            "notes.asc: line 1: expected the edf2asc header",
        ),
        (
            _bad(tmp_path, "rate.asc", rate_change),
            study,
            "rate.asc: line 201: the sampling rate changes to 500 Hz",
        ),
        (fresh, gone / "study.toml", "fresh.asc: line 357: stimulus 'I902C_low' of trial 0: its image"),
        (fresh, other, "fresh.asc: line 357: stimulus 'I902C_low' of trial 0 is not in the study config"),
        (
            fresh,
            small,
            "line 129 (GAZE_COORDS 0.00 0.00 1920.00 1080.00): the recording's screen is 1921x1081 px but the study config's [display] is 1280x1024 px",
        ),
    ]


def test_bad_inputs_give_one_line_naming_file_and_line_and_change_nothing(
    filled_db, binocular_study, tmp_path, capsys
):
    before = dump(filled_db)
    for path, cfg, expected in _bad_cases(tmp_path, binocular_study):
        code, out, err = run_cli(capsys, "eyelink-asc", str(path), "--config", str(cfg), "-o", str(filled_db))
        message = " ".join(err.split())
        assert code == 2, (path, out, err)
        assert message.startswith("error:") and expected in message, (expected, message)
        assert dump(filled_db) == before, path


def test_a_failed_write_rolls_the_whole_file_back(binocular_study, tmp_path, monkeypatch):
    from study.config import StudyConfig
    from study.importers import import_files

    db = tmp_path / "db.sqlite"
    StudyStore(db).close()

    def fail(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(StudyStore, "finish_session", fail)
    with pytest.raises(OSError):
        import_files("eyelink-asc", [BINOCULAR], StudyConfig.from_file(binocular_study), db)
    assert all(rows == [] for rows in dump(db).values())
