"""`gazefusion analyze study|power|bench` end to end (tiny simulated study, tiny power run)."""

from __future__ import annotations

import pandas as pd
import pytest

from gazefusion.cli import main


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code, capsys.readouterr()


def test_analyze_study_writes_the_report(tiny_study, tmp_path, capsys):
    out = tmp_path / "report"
    code, _ = run(
        ["analyze", "study", str(tiny_study), "-o", str(out), "--metrics", "cc,nss,auc_shuffled"], capsys
    )
    assert code == 0
    for name in (
        "report.md",
        "scores.csv",
        "pooled.csv",
        "summary.csv",
        "summary.md",
        "tests.csv",
        "tests.md",
        "mixed.csv",
        "fig_alignment.png",
        "fig_alignment.pdf",
        "fig_heatmaps.png",
        "fig_heatmaps.pdf",
    ):
        assert (out / name).is_file(), name
    scores = pd.read_csv(out / "scores.csv", keep_default_na=False)
    assert set(scores["predictor"]) == {"target", "shuffled", "centre", "ceiling"}
    assert set(scores["participant"]) == {"p01", "p02", "p03"}
    # the unguided image img2 is scored against the target of its item
    assert "img2" in set(scores["stimulus_id"])
    tests = pd.read_csv(out / "tests.csv")
    assert any(tests["comparison"].str.startswith("guided - unguided"))
    assert (out / "fig_alignment.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "fig_alignment.pdf").read_bytes()[:4] == b"%PDF"


def test_analyze_power_and_errors(tmp_path, capsys):
    out = tmp_path / "power"
    code, res = run(
        [
            "analyze",
            "power",
            "-o",
            str(out),
            "--effect",
            "0,0.8",
            "--participants",
            "1,2",
            "--stimuli",
            "3",
            "--sims",
            "3",
            "--viewing-s",
            "1.5",
        ],
        capsys,
    )
    assert code == 0
    # the report and the console say the observers are planted (they look at a map, not at images)
    assert "observer mode: planted" in res.out
    assert "**planted** mode" in (out / "report.md").read_text()
    curve = pd.read_csv(out / "power.csv")
    assert len(curve) == 4 and (out / "fig_power.pdf").is_file() and (out / "designs.md").is_file()
    code, err = run(["analyze", "power", "-o", str(out), "--participants", "a,b"], capsys)
    assert code == 2 and "--participants" in err.err
    code, err = run(["analyze", "study", str(tmp_path / "nothing"), "-o", str(out)], capsys)
    assert code == 2 and "DATA" in err.err
    code, err = run(["analyze", "bench", str(tmp_path / "nothing"), "-o", str(out)], capsys)
    assert code == 2 and "RESULTS" in err.err
