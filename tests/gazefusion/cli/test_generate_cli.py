"""`gazefusion generate` end to end on the tiny random model (no weights on disk)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from gazefusion.cli import main


@pytest.fixture(autouse=True)
def tiny_setting(monkeypatch):
    """No configured model, so the tiny one is used."""
    monkeypatch.delenv("GAZEFUSION_MODEL", raising=False)


def run_cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_defaults_tiny_model_notice_and_sidecars(tmp_path, capsys):
    out = tmp_path / "out"
    # smap1 (512x512) at 32x32: resized with a notice
    code = run_cli(["generate", "--steps", "1", "--height", "32", "--width", "32", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "tiny random" in captured.out
    assert "notice:" in captured.err and "resized" in captured.err
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [
        "0000_a-sailboat-on-the-sea_seed123.png",
        "0000_a-sailboat-on-the-sea_seed123_blend.png",
        "0000_a-sailboat-on-the-sea_seed124.png",
        "0000_a-sailboat-on-the-sea_seed124_blend.png",
    ]
    sidecar = json.loads((out / "0000_a-sailboat-on-the-sea_seed124.json").read_text())
    gen = sidecar["generation"]
    assert (gen["prompt"], gen["seed"]) == ("a sailboat on the sea", 124)
    assert "smap1" in gen["smap"]["source"]
    assert gen["params"]["guidance_scale"] == 9.0 and gen["params"]["control_scale"] == 1.0
    assert gen["model"]["weight_hash"].startswith("sha256:")
    assert np.asarray(Image.open(out / pngs[0])).shape == (32, 32, 3)

    # re-running resumes: nothing new
    assert run_cli(["generate", "--steps", "1", "--height", "32", "--width", "32", "--out", str(out)]) == 0
    assert "0 image(s) written, 2 already there" in capsys.readouterr().out


def test_prompts_file(tmp_path, capsys):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("# two prompts\na red apple\n\na blue car\n")
    smap = tmp_path / "map.png"
    Image.fromarray(np.full((32, 32), 90, np.uint8), mode="L").save(smap)
    out = tmp_path / "out"
    code = run_cli(
        [
            "generate",
            "--smap",
            str(smap),
            "--prompts",
            str(prompts),
            "--num-samples",
            "1",
            "--steps",
            "1",
            "--seed",
            "5",
            "--no-blend",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.glob("*.png")) == [
        "0000_a-red-apple_seed5.png",
        "0001_a-blue-car_seed5.png",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--smap", "/nonexistent/map.png"], "map.png", id="missing-smap"),
        pytest.param(["--smap", "smap1", "--dtype", "fp64"], "--dtype", id="bad-dtype"),
        pytest.param(["--video", "--format", "avi"], "--format", id="bad-video-format"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, args, message):
    code = run_cli(["generate", "--steps", "1", "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_video_from_keyframed_spec(tmp_path, capsys):
    import imageio.v3 as iio

    spec = tmp_path / "moving.toml"
    spec.write_text(
        'size = [32, 32]\n[[elements]]\ntype = "gaussian"\n'
        "center = [{ t = 0.0, value = [6, 16] }, { t = 1.0, value = [26, 16] }]\nsigma = 5\n"
    )
    out = tmp_path / "out"
    code = run_cli(
        [
            "generate",
            "--video",
            "--frames",
            "3",
            "--smap",
            str(spec),
            "--steps",
            "1",
            "--seed",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    mp4 = out / "a-sailboat-on-the-sea_seed3.mp4"
    frames = iio.imread(mp4, plugin="FFMPEG")
    assert frames.shape[:3] == (3, 32, 32)
    meta = json.loads(mp4.with_suffix(".json").read_text())
    assert [s.endswith(f"t={t:g}") for s, t in zip(meta["smap_sources"], (0, 0.5, 1), strict=True)] == [
        True
    ] * 3
    assert len(set(meta["hint_sha256"])) == 3  # the smap moves
