"""`gazefusion train` on the command line: options come from TrainConfig, errors are one line."""

import json

import numpy as np
import pytest
from PIL import Image

from gazefusion.cli import main


def _run(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code


def test_train_help_lists_config_options(capsys):
    assert _run(["train", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in (
        "--unlock-sd",
        "--mid-control",
        "--resume-from-checkpoint",
        "--use-8bit-adam",
        "--use-ema",
        "--proportion-empty-prompts",
        "--gradient-checkpointing",
        "--mixed-precision",
    ):
        assert flag in out


def test_train_bad_option_is_one_line_error(tmp_path, capsys):
    assert _run(["train", "--data", str(tmp_path), "--resolution", "30"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert _run(["train", "--data", str(tmp_path)]) == 2
    assert "manifest.parquet" in capsys.readouterr().err


def test_train_command_on_original_layout(tmp_path, capsys, small_train_args):
    """Two steps on data in the original data/{images,smaps,prompts/prompts.json} layout."""
    data = tmp_path / "data"
    for sub in ("images", "smaps", "prompts"):
        (data / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            data / "images" / f"x_{i}.jpg"
        )
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(data / "smaps" / f"x_{i}.jpg")
        lines.append(json.dumps({"filename": f"x_{i}.jpg", "prompt": f"prompt {i}"}))
    (data / "prompts" / "prompts.json").write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    code = _run(["train", *small_train_args(data, out, "--max-train-steps", 2, "--checkpointing-steps", 2)])
    assert code == 0
    assert "trained steps 1-2" in capsys.readouterr().out
    assert (out / "checkpoint-2" / "controlnet" / "config.json").is_file()
    assert (out / "export" / "diffusers" / "model_index.json").is_file()
    assert (out / "export" / "gazefusion-sd21.ckpt").is_file()
    # the export is what `gazefusion generate --model` loads
    smap = tmp_path / "smap.png"
    Image.fromarray(np.full((32, 32), 128, np.uint8), mode="L").save(smap)
    gen = tmp_path / "gen"
    code = _run(
        [
            "generate",
            "--model",
            str(out / "export" / "diffusers"),
            "--smap",
            str(smap),
            "--prompt",
            "a boat",
            "-n",
            "1",
            "--steps",
            "2",
            "--device",
            "cpu",
            "--out",
            str(gen),
        ]
    )
    assert code == 0
    assert [Image.open(p).size for p in gen.rglob("*.png") if "blend" not in p.name][:1] == [(32, 32)]
