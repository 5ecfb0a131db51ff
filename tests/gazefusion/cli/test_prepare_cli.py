"""`gazefusion prepare` on the command line: summary, skipped files, one-line errors."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gazefusion.cli import main


def _run(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code


@pytest.fixture
def raw(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i, size in enumerate([(48, 32), (32, 32)]):
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(
            folder / f"p{i}.jpg"
        )
    (folder / "zz.png").write_bytes(b"garbage")
    (tmp_path / "caps.csv").write_text("file,caption\np0.jpg,first\np1.jpg,second\n")
    return folder


def test_prepare_command(raw, tmp_path, capsys):
    out = tmp_path / "ds"
    argv = [
        "prepare",
        str(raw),
        "-o",
        str(out),
        "--resolution",
        "32",
        "--saliency-model",
        "centre-bias",
        "--captions",
        str(tmp_path / "caps.csv"),
    ]
    assert _run(argv) == 0
    captured = capsys.readouterr()
    assert "3 new crops" in captured.out and "manifest: 3 rows" in captured.out
    assert "zz.png" in captured.err
    assert sorted(pd.read_parquet(out / "manifest.parquet")["prompt"]) == ["first", "first", "second"]
    assert _run(argv) == 0
    assert "0 new crops" in capsys.readouterr().out


def test_prepare_missing_weights_or_model_is_one_line(raw, tmp_path, capsys):
    code = _run(
        [
            "prepare",
            str(raw),
            "-o",
            str(tmp_path / "ds"),
            "--resolution",
            "32",
            "--saliency-model",
            "nope",
            "--captions",
            str(tmp_path / "caps.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--saliency-model NAME" in err and "Traceback" not in err
