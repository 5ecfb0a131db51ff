"""`gazefusion metrics --fixations` on datasets as others publish them: a pysaliency export
(written here with pysaliency itself: ``FixationTrains.to_hdf5`` + ``FileStimuli.to_hdf5``, the
pair its dataset folders hold) and the MIT1003 layout (``ALLSTIMULI/<name>.jpeg``,
``ALLFIXATIONMAPS/<name>_fixPts.*`` and ``<name>_fixMap.*``) score exactly as the same fixations
given as plain per-image files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gazefusion.cli import main

pytest.importorskip("h5py")
pysaliency = pytest.importorskip("pysaliency")

POINTS = {  # image -> fixations (x, y) in image px
    "a": np.array([[3.5, 4.0], [20.2, 30.9], [40.0, 10.5]]),
    "b": np.array([[10.0, 10.0], [11.7, 12.2]]),
    "c": np.array([[47.9, 31.9], [0.0, 0.0], [24.5, 16.5], [30.1, 2.2]]),
}


def _png(path, arr: np.ndarray) -> None:
    Image.fromarray(np.round(arr * 255).astype(np.uint8)).save(path)


@pytest.fixture
def maps(tmp_path):
    """pred/ and dens/ maps of the three 48x32 images, and the fixations as x,y .csv files."""
    pred, dens, csv, stim = (tmp_path / n for n in ("pred", "dens", "csv", "stimuli"))
    for d in (pred, dens, csv, stim):
        d.mkdir()
    yy, xx = np.mgrid[0:32, 0:48]
    for i, name in enumerate(POINTS):
        _png(pred / f"{name}.png", np.exp(-((xx - 10 - 8 * i) ** 2 + (yy - 16) ** 2) / 80.0))
        _png(dens / f"{name}.png", np.exp(-((xx - 20) ** 2 + (yy - 12 - 2 * i) ** 2) / 60.0))
        pd.DataFrame(POINTS[name], columns=["x", "y"]).to_csv(csv / f"{name}.csv", index=False)
        Image.new("RGB", (48, 32)).save(stim / f"{name}.jpeg")
    return pred, dens, csv, stim


def _scores(capsys, tmp_path, pred, dens, fixations, tag: str) -> pd.DataFrame:
    out = tmp_path / f"{tag}.parquet"
    with pytest.raises(SystemExit) as exc:
        main(["metrics", str(pred), str(dens), "--fixations", str(fixations), "-m", "nss", "-m", "auc_judd",
              "-m", "auc_shuffled", "-m", "cc", "--shuffle-others", "2", "-o", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert (exc.value.code or 0) == 0, captured.err
    return pd.read_parquet(out).sort_values(["image", "metric"]).reset_index(drop=True)


def _pysaliency_export(folder, stim) -> None:
    """Write the pair with pysaliency 0.2.22, whose writer still calls ``np.string_`` (removed in
    NumPy 2; ``np.bytes_`` is the same type) - a shim for the writer only, reading needs none."""
    if not hasattr(np, "string_"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(np, "string_", np.bytes_, raising=False)
            return _pysaliency_export(folder, stim)
    folder.mkdir()
    names = list(POINTS)
    xs = [POINTS[n][:, 0] for n in names]
    ys = [POINTS[n][:, 1] for n in names]
    ts = [np.arange(len(POINTS[n]), dtype=float) for n in names]
    trains = pysaliency.FixationTrains.from_fixation_trains(xs, ys, ts, list(range(3)), [0, 0, 0])
    trains.to_hdf5(str(folder / "fixations.hdf5"))
    pysaliency.FileStimuli([str(stim / f"{n}.jpeg") for n in names]).to_hdf5(str(folder / "stimuli.hdf5"))


def test_pysaliency_export_scores_like_the_same_points(maps, tmp_path, capsys):
    from gazefusion.data.fixation_datasets import read_pysaliency_fixations

    pred, dens, csv, stim = maps
    ds = tmp_path / "MIT_like"
    _pysaliency_export(ds, stim)
    points = read_pysaliency_fixations(ds / "fixations.hdf5", ds / "stimuli.hdf5")
    assert sorted(points) == ["a", "b", "c"]
    for name, xy in POINTS.items():
        np.testing.assert_array_equal(points[name], xy)
    plain = _scores(capsys, tmp_path, pred, dens, csv, "plain")
    assert len(plain) == 12
    pd.testing.assert_frame_equal(_scores(capsys, tmp_path, pred, dens, ds, "folder"), plain)
    pd.testing.assert_frame_equal(_scores(capsys, tmp_path, pred, dens, ds / "fixations.hdf5", "file"), plain)


def test_mit1003_layout_scores_like_plain_folders(maps, tmp_path, capsys):
    pred, dens, csv, stim = maps
    mit = tmp_path / "MIT1003"
    (mit / "ALLFIXATIONMAPS").mkdir(parents=True)
    stim.rename(mit / "ALLSTIMULI")
    fix_plain = tmp_path / "fixmaps"
    fix_plain.mkdir()
    for name, xy in POINTS.items():
        f = np.zeros((32, 48))
        f[np.floor(xy[:, 1]).astype(int), np.floor(xy[:, 0]).astype(int)] = 1
        _png(fix_plain / f"{name}.png", f)
        _png(mit / "ALLFIXATIONMAPS" / f"{name}_fixPts.png", f)
        Image.open(dens / f"{name}.png").save(mit / "ALLFIXATIONMAPS" / f"{name}_fixMap.png")
    plain = _scores(capsys, tmp_path, pred, dens, fix_plain, "plain")
    # TARGET_DIR and --fixations both in the MIT1003 layout: the _fixMap / _fixPts files
    mit_scores = _scores(capsys, tmp_path, pred, mit / "ALLFIXATIONMAPS", mit, "mit")
    pd.testing.assert_frame_equal(mit_scores, plain)


def test_pysaliency_fixations_without_their_stimuli_are_refused(maps, tmp_path, capsys):
    pred, dens, _, stim = maps
    ds = tmp_path / "ds"
    _pysaliency_export(ds, stim)
    (ds / "stimuli.hdf5").unlink()
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "metrics",
                str(pred),
                str(dens),
                "--fixations",
                str(ds),
                "-m",
                "nss",
                "-o",
                str(tmp_path / "x.parquet"),
            ]
        )
    err = " ".join(capsys.readouterr().err.split())
    assert exc.value.code == 2
    assert "needs the stimuli export beside it" in err and "stimuli.hdf5" in err
