"""`gazefusion metrics`: folders matched by name, Parquet rows per image and metric, problems
listed without failing, resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import metrics
from gazefusion.cli import main
from gazefusion.utils.images import read_gray


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    return info.value.code, out.out, " ".join(out.err.split())


def _png(path, arr: np.ndarray) -> None:
    Image.fromarray(np.round(arr * 255).astype(np.uint8)).save(path)


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(0)
    pred, dens, fix = (tmp_path / n for n in ("pred", "dens", "fix"))
    for d in (pred, dens, fix):
        d.mkdir()
    yy, xx = np.mgrid[0:32, 0:48]
    for i, stem in enumerate(["a", "b", "c"]):
        _png(pred / f"{stem}.png", np.exp(-((xx - 10 - 8 * i) ** 2 + (yy - 16) ** 2) / 80.0))
        _png(dens / f"{stem}.png", np.exp(-((xx - 20) ** 2 + (yy - 12 - 2 * i) ** 2) / 60.0))
        f = np.zeros((32, 48))
        f[rng.integers(0, 32, 6), rng.integers(0, 48, 6)] = 1
        _png(fix / f"{stem}.png", f)
    pd.DataFrame({"x": [3.5, 20.2], "y": [4.0, 30.9]}).to_csv(fix / "d.csv", index=False)
    _png(pred / "d.png", rng.random((32, 48)))
    _png(dens / "d.png", rng.random((32, 48)))
    _png(pred / "only_pred.png", rng.random((32, 48)))
    (pred / "e.png").write_bytes(b"broken")
    _png(dens / "e.png", rng.random((32, 48)))
    _png(fix / "e.png", np.ones((32, 48)))
    return pred, dens, fix


def test_scores_every_matched_image_and_lists_problems(folders, tmp_path, capsys) -> None:
    pred, dens, fix = folders
    out = tmp_path / "scores.parquet"
    code, stdout, stderr = _run(
        [
            "metrics",
            str(pred),
            str(dens),
            "--fixations",
            str(fix),
            "-o",
            str(out),
            "-m",
            "cc",
            "-m",
            "nss",
            "-m",
            "auc_shuffled",
            "--shuffle-others",
            "2",
        ],
        capsys,
    )
    assert code == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == ["image", "metric", "value"]
    assert sorted(table["image"].unique()) == ["a", "b", "c", "d"]
    assert len(table) == 4 * 3
    a = table[(table.image == "a") & (table.metric == "nss")].value.item()
    expected = metrics.nss(read_gray(pred / "a.png"), read_gray(fix / "a.png") > 0)
    assert a == pytest.approx(expected)
    d_cc = table[(table.image == "d") & (table.metric == "cc")].value.item()
    assert d_cc == pytest.approx(metrics.cc(read_gray(pred / "d.png"), read_gray(dens / "d.png")))
    assert "unmatched" in stderr and "only_pred" in stderr
    assert "e: unreadable" in stderr
    assert "cc" in stdout and "mean" in stdout


def test_resume_skips_scored_pairs(folders, tmp_path, capsys) -> None:
    pred, dens, _ = folders
    out = tmp_path / "s.parquet"
    assert _run(["metrics", str(pred), str(dens), "-o", str(out), "-m", "cc"], capsys)[0] == 0
    first = pd.read_parquet(out)
    assert _run(["metrics", str(pred), str(dens), "-o", str(out), "-m", "cc", "-m", "sim"], capsys)[0] == 0
    second = pd.read_parquet(out)
    assert len(second) == 2 * len(first)
    pd.testing.assert_frame_equal(second[second.metric == "cc"].reset_index(drop=True), first)


def test_user_mistakes_exit_2(folders, tmp_path, capsys) -> None:
    pred, dens, _ = folders
    code, _, err = _run(["metrics", str(pred), str(dens), "-m", "nss"], capsys)
    assert code == 2 and "--fixations" in err
    code, _, err = _run(["metrics", str(pred), str(dens), "-m", "bogus"], capsys)
    assert code == 2 and "unknown bogus" in err
    code, _, err = _run(["metrics", str(tmp_path / "nope"), str(dens)], capsys)
    assert code == 2 and "not found" in err
