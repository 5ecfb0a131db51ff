"""`gazefusion study check | simulate | export` from the command line."""

from __future__ import annotations

import tomllib

import pytest
import tomli_w

from gazefusion.cli import main
from gazefusion.geometry import DisplayGeometry
from study.example import write_example_study

SMALL = DisplayGeometry(width_px=320, height_px=240, width_cm=30.0, distance_cm=60.0)


@pytest.fixture
def study(tmp_path):
    return write_example_study(
        tmp_path / "study",
        size=(96, 72),
        items=("a", "b"),
        display=SMALL,
        trials={"fixation_s": 0.1, "stimulus_s": 0.2, "iti_s": 0.1},
        calibration={"point_s": 0.1, "drift_check_every": 0},
    )


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def _edit(path, fn):
    data = tomllib.loads(path.read_text())
    fn(data)
    path.write_text(tomli_w.dumps(data))


def test_check_prints_trials_and_duration(study, capsys):
    code, out, _ = _run(["study", "check", str(study), "-p", "P01"], capsys)
    assert code == 0
    assert "a_blob_right" in out and "b_blob_left" in out and "practice" in out  # row 1 of the Latin square
    assert "expected duration" in out and "config OK" in out


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        pytest.param(
            lambda d: d["stimuli"][1].update(image="stimuli/gone.png"),
            "stimulus image not found",
            id="missing-stimulus",
        ),
        pytest.param(
            lambda d: d["tracker"].update(name="eyelonk"), "unknown tracker 'eyelonk'", id="unknown-tracker"
        ),
        pytest.param(lambda d: d["display"].update(width_cm=0.01), "implausible", id="impossible-geometry"),
    ],
)
def test_check_bad_configs_exit_2_with_one_line(study, capsys, edit, needle):
    _edit(study, edit)
    code, _, err = _run(["study", "check", str(study)], capsys)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(" ".join(lines)) < 400 and lines[0].startswith("error:")
    assert needle in " ".join(err.split())


def test_run_requires_a_participant_when_not_interactive(study, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    code, _, err = _run(["study", "run", str(study), "--windowed"], capsys)
    assert code == 2 and "--participant" in err


def test_simulate_then_export(study, tmp_path, capsys):
    db = tmp_path / "sim.sqlite"
    code, out, _ = _run(["study", "simulate", str(study), "--participants", "2", "--db", str(db)], capsys)
    assert code == 0 and "2 simulated sessions" in out
    said = " ".join(out.split())  # rich wraps long lines
    assert "observer mode: image (participants look at the stimulus images; saliency model" in said
    code, out, _ = _run(["study", "export", str(db), "-o", str(tmp_path / "bids")], capsys)
    assert code == 0 and "exported 2 sessions" in out
    assert (
        tmp_path / "bids" / "sub-sim02" / "ses-1" / "eyetrack" / "sub-sim02_ses-1_task-freeview_physio.json"
    ).is_file()
    code, _, err = _run(["study", "export", str(tmp_path / "nope.sqlite"), "-o", str(tmp_path / "x")], capsys)
    assert code == 2 and "not found" in err
