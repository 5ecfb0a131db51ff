"""generate_to_folder: PNG + JSON sidecar per image, regenerable, resumable, atomic."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

import numpy as np
import pytest
from PIL import Image

from gazefusion.pipeline import generate_to_folder

STEPS = 2


@pytest.fixture()
def smap_file(tmp_path):
    yy, xx = np.mgrid[0:32, 0:32]
    grey = (178 * np.exp(-((xx - 20) ** 2 + (yy - 10) ** 2) / 50.0)).round().astype(np.uint8)
    path = tmp_path / "inputs" / "blob.png"
    path.parent.mkdir()
    Image.fromarray(grey, mode="L").save(path)
    return path


def test_writes_png_and_complete_sidecar(pipe, smap_file, tmp_path):
    out = tmp_path / "out"
    run = generate_to_folder(
        pipe, ["a sailboat on the sea"], [str(smap_file)], 5, out, num_samples=2, steps=STEPS, blend=True
    )
    assert run.generated == 2 and run.skipped == 0
    assert [p.name for p in run.images] == [
        "0000_a-sailboat-on-the-sea_seed5.png",
        "0000_a-sailboat-on-the-sea_seed6.png",
    ]
    for png, seed in zip(run.images, (5, 6), strict=True):
        sidecar = json.loads(png.with_suffix(".json").read_text())
        gen = sidecar["generation"]
        assert gen["prompt"] == "a sailboat on the sea"
        assert gen["seed"] == seed
        assert gen["smap"]["file_sha256"] == hashlib.sha256(smap_file.read_bytes()).hexdigest()
        assert str(smap_file) in gen["smap"]["source"]
        assert gen["model"]["weight_hash"] == pipe.weight_hash
        assert pipe.weight_hash.startswith("sha256:") and len(pipe.weight_hash) == 7 + 64
        params = gen["params"]
        assert params["steps"] == STEPS and params["guidance_scale"] == 9.0
        assert params["control_scale"] == 1.0 and params["eta"] == 0.0
        assert params["negative_prompt"] is None and params["scheduler"] == "DDIMScheduler"
        assert params["scheduler_config"]["steps_offset"] == 1
        assert sidecar["versions"]["diffusers"] == metadata.version("diffusers")
        assert set(sidecar["versions"]) >= {"torch", "diffusers", "transformers", "gazefusion"}
        assert (out / sidecar["files"]["blend"]).is_file()
        # the sidecar regenerates the image
        again = pipe(
            gen["prompt"],
            str(smap_file),
            seed=[gen["seed"]],
            steps=params["steps"],
            guidance_scale=params["guidance_scale"],
            control_scale=params["control_scale"],
            eta=params["eta"],
        ).images[0]
        np.testing.assert_array_equal(np.asarray(Image.open(png)), again)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_resume_skips_finished_and_redoes_changed(pipe, smap_file, tmp_path):
    out = tmp_path / "out"
    kwargs = dict(num_samples=1, steps=1)
    first = generate_to_folder(pipe, ["a boat", "an apple"], [str(smap_file)], 1, out, **kwargs)
    assert first.generated == 2
    stamps = {p: p.stat().st_mtime_ns for p in first.images}

    seen = []
    second = generate_to_folder(
        pipe,
        ["a boat", "an apple"],
        [str(smap_file)],
        1,
        out,
        progress=lambda task, done, total: seen.append((task, done, total)),
        **kwargs,
    )
    assert (second.generated, second.skipped) == (0, 2)
    assert [r for r in seen if r[0] == "images"] == [("images", 2, 2)]  # the skipped ones count as done
    assert [r for r in seen if r[0] == "denoising"] == [("denoising", 0, 0)]
    assert {p: p.stat().st_mtime_ns for p in second.images} == stamps

    first.images[1].unlink()  # a crash before this image was written
    third = generate_to_folder(pipe, ["a boat", "an apple"], [str(smap_file)], 1, out, **kwargs)
    assert (third.generated, third.skipped) == (1, 1)

    from gazefusion.errors import UserInputError

    with pytest.raises(UserInputError, match="steps"):  # other parameters: refused, nothing replaced
        generate_to_folder(pipe, ["a boat", "an apple"], [str(smap_file)], 1, out, num_samples=1, steps=2)
    assert {p: p.stat().st_mtime_ns for p in second.images[:1]} == {first.images[0]: stamps[first.images[0]]}
    changed = generate_to_folder(
        pipe, ["a boat", "an apple"], [str(smap_file)], 1, out, num_samples=1, steps=2, overwrite=True
    )
    assert changed.generated == 2
    assert (
        json.loads(changed.images[0].with_suffix(".json").read_text())["generation"]["params"]["steps"] == 2
    )


def test_array_smaps_are_recorded_by_hash(pipe, tmp_path):
    smap = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    run = generate_to_folder(pipe, "a boat", smap, [9], tmp_path, steps=1)
    gen = json.loads(run.images[0].with_suffix(".json").read_text())["generation"]
    assert gen["smap"]["file_sha256"] is None
    assert gen["smap"]["source"].startswith("array")
    h = hashlib.sha256(f"{smap.dtype.str}{smap.shape}".encode())
    h.update(smap.tobytes())
    assert gen["smap"]["hint_sha256"] == h.hexdigest()


def test_progress_counts_denoising_steps_and_images_and_changes_nothing(pipe, tmp_path):
    smap = np.zeros((32, 32), np.float32)
    smap[8:24, 8:24] = 0.7
    calls = []
    run = generate_to_folder(
        pipe,
        "a boat",
        smap,
        [1, 2],
        tmp_path / "a",
        steps=3,
        batch_size=1,
        progress=lambda task, done, total: calls.append((task, done, total)),
    )
    steps = [(done, total) for task, done, total in calls if task == "denoising"]
    assert steps == [(k, 2 * 3) for k in range(2 * 3 + 1)]  # two images, three steps each
    images = [(done, total) for task, done, total in calls if task == "images"]
    assert images == [(0, 2), (1, 2), (2, 2)]
    assert {task for task, _, _ in calls} == {"denoising", "images"}
    plain = generate_to_folder(pipe, "a boat", smap, [1, 2], tmp_path / "b", steps=3, batch_size=1)
    for a, b in zip(run.images, plain.images, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
