"""`gazefusion saliency`: folder in, maps out; resumable; unreadable images listed; --list."""

import os

import numpy as np
import pytest
from PIL import Image

from gazefusion.cli import main
from gazefusion.saliency import centre_bias, get_saliency_model


def _run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    return info.value.code, out.out, " ".join(out.err.split())


@pytest.fixture
def images_dir(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, (h, w) in {"a.png": (40, 60), "b.jpg": (50, 30), "c.png": (32, 32)}.items():
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / name)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_writes_png_maps_named_like_images_and_lists_unreadable(images_dir, tmp_path, capsys):
    out = tmp_path / "maps"
    code, stdout, stderr = _run([
        "saliency", str(images_dir), "--model", "itti-koch", "-o", str(out), "--batch-size", "2"
    ], capsys)  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png", "saliency.json"]
    expected = get_saliency_model("itti-koch").predict(
        np.asarray(Image.open(images_dir / "a.png").convert("RGB"))
    )[0]
    with Image.open(out / "a.png") as im:
        assert im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im), np.round(expected * 255).astype(np.uint8))
    with Image.open(out / "b.png") as im:
        assert im.size == (30, 50)
    assert "3 map(s) written" in stdout
    assert "1 unreadable" in stderr and "broken.png" in stderr


def test_rerun_skips_existing_maps(images_dir, tmp_path, capsys):
    out = tmp_path / "maps"
    argv = ["saliency", str(images_dir), "-m", "centre-bias", "-o", str(out)]
    assert _run(argv, capsys)[0] == 0
    (out / "b.png").unlink()
    stamp = {p.name: os.stat(p).st_mtime_ns for p in out.iterdir()}
    code, stdout, _ = _run(argv, capsys)
    assert code == 0 and "1 map(s) written" in stdout and "2 already there" in stdout
    assert all(os.stat(out / n).st_mtime_ns == t for n, t in stamp.items())
    assert (out / "b.png").exists()


def test_npy_format_and_model_args(images_dir, tmp_path, capsys):
    code, _, _ = _run(["saliency", str(images_dir), "-m", "centre-bias", "--format", "npy",
                       "--model-arg", "sigma=0.1"], capsys)  # fmt: skip
    assert code == 0
    default_out = images_dir.parent / "imgs-smaps-centre-bias"
    smap = np.load(default_out / "a.npy")
    assert smap.dtype == np.float32
    np.testing.assert_array_equal(smap, centre_bias((40, 60), 0.1, norm="centre").astype(np.float32))


def test_list_shows_availability(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GAZEFUSION_EMLNET_DIR", str(tmp_path))
    code, stdout, _ = _run(["saliency", "--list"], capsys)
    assert code == 0
    lines = {line.split()[1]: line for line in stdout.splitlines() if line.strip().startswith("│")}
    assert {"emlnet", "itti-koch", "spectral-residual", "fine-grained", "centre-bias"} <= set(lines)
    assert "no" in lines["emlnet"].split("│")[2] and "yes" in lines["itti-koch"].split("│")[2]


@pytest.mark.parametrize(
    "extra, message",
    [
        pytest.param(["-m", "nope"], "unknown saliency model 'nope'", id="unknown-model"),
        pytest.param(
            ["-m", "centre-bias", "--format", "jpg"], "--format must be one of png, npy", id="format"
        ),
        pytest.param(
            ["-m", "centre-bias", "--model-arg", "sigma"], "--model-arg must be KEY=VALUE", id="model-arg"
        ),
        pytest.param(
            ["-m", "emlnet", "--model-arg", "weights_dir=/nonexistent"],
            "EML-Net weights not found",
            id="no-weights",
        ),
    ],
)
def test_user_errors_exit_2(images_dir, tmp_path, capsys, extra, message):
    code, _, stderr = _run(["saliency", str(images_dir), "-o", str(tmp_path / "o"), *extra], capsys)
    assert code == 2 and message in stderr


def test_missing_folder_exit_2(tmp_path, capsys):
    code, _, stderr = _run(["saliency", str(tmp_path / "absent"), "-m", "centre-bias"], capsys)
    assert code == 2 and "folder not found" in stderr


def test_folder_without_images_exit_2(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "sub" / "deep.png")
    code, _, stderr = _run(
        ["saliency", str(tmp_path), "-m", "centre-bias", "-o", str(tmp_path / "o")], capsys
    )
    assert code == 2 and "no images" in stderr and "sub-folders are not searched" in stderr
    assert not (tmp_path / "o").exists()
