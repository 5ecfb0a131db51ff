"""Text2Video-Zero motion-field latents combined with the ControlNet, on tiny components."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from testsupport import max_diff

from gazefusion.errors import UserInputError
from gazefusion.pipeline.core import to_uint8
from gazefusion.video import generate_video
from gazefusion.video.motion_field import motion_field_times, schedule, t2v_zero_module, warp_latents

SIZE = 32


def moving_blob(n: int, size: int = SIZE) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size]
    return [
        np.exp(-((xx - size * (0.2 + 0.6 * k / max(n - 1, 1))) ** 2 + (yy - size / 2) ** 2) / size).astype(
            np.float32
        )
        for k in range(n)
    ]


@pytest.mark.parametrize(
    ("width", "strength", "shifts_x", "shifts_y"),
    [
        pytest.param(64, (16.0, 8.0), [0, 2, 4, 6], [0, 1, 2, 3], id="512px-2-and-1-latent-px"),
        pytest.param(32, (16.0, -32.0), [0, 1, 2, 3], [0, -2, -4, -6], id="256px-1-and-minus-2-latent-px"),
        pytest.param(64, (12.0, 12.0), [0, 1, 3, 4], [0, 1, 3, 4], id="t2v-zero-default-1.5-latent-px"),
    ],
)
def test_warp_moves_the_latent_by_the_motion_field_in_latent_pixels(width, strength, shifts_x, shifts_y):
    # delta*k px on a 512 grid is delta*k*width/512 latent px. Latent pixel j samples the source at
    # j + (delta*k - 0.5)*width/512 (the 512 grid's pixel centres are half a grid pixel off the
    # latent's), rounded to the nearest pixel: 12 px/frame at 64 latent px moves 1, 3, 4 px.
    latent = torch.arange(4 * width * width, dtype=torch.float32).reshape(1, 4, width, width)
    warped = warp_latents(latent, range(4), *strength).numpy()
    assert warped.shape == (4, 4, width, width)
    source = latent[0].numpy()
    j = np.arange(width)
    for k, (dx, dy) in enumerate(zip(shifts_x, shifts_y, strict=True)):
        assert np.all(np.rint(j + (np.array(strength) * k - 0.5)[:, None] * width / 512) == [j + dx, j + dy])
        xs, ys = j[(j + dx >= 0) & (j + dx < width)], j[(j + dy >= 0) & (j + dy < width)]
        np.testing.assert_array_equal(warped[k][:, ys][:, :, xs], source[:, ys + dy][:, :, xs + dx])
    np.testing.assert_array_equal(warped[0], source)  # frame 0 is not moved


@pytest.mark.parametrize(
    ("steps", "expected"),
    [(50, (44, 47)), (20, (18, 19)), (10, (8, 9)), (4, (2, 3)), (2, (0, 1))],
)
def test_motion_field_times_keep_the_noise_levels_of_t2v_zero(steps, expected):
    t0, t1 = motion_field_times(steps)
    assert (t0, t1) == expected
    assert 0 <= t0 < t1 <= steps - 1


def test_motion_field_times_at_50_steps_are_timesteps_881_and_941(pipe):
    timesteps = schedule(pipe.sd, 50)
    t0, t1 = motion_field_times(50)
    assert (int(timesteps[-t0 - 1]), int(timesteps[-t1 - 1])) == (881, 941)  # PAPER.md §10
    with pytest.raises(UserInputError, match="steps"):
        motion_field_times(1)


@pytest.mark.filterwarnings("ignore:Default grid_sample:UserWarning", "ignore:torch.meshgrid:UserWarning")
def test_without_control_equals_diffusers_text_to_video_zero(pipe):
    """ControlNet scale 0 leaves the UNet alone: the video must be the reference pipeline's."""
    size, steps, t0, t1, strength = 64, 5, 2, 3, (64.0, -64.0)  # 1 latent px per frame at 64x64
    ours = generate_video(
        pipe,
        "a boat",
        moving_blob(3, size),
        seed=4,
        steps=steps,
        control_scale=0.0,
        motion_field=True,
        motion_field_strength_x=strength[0],
        motion_field_strength_y=strength[1],
        t0=t0,
        t1=t1,
    )
    sd = pipe.sd
    reference = t2v_zero_module().TextToVideoZeroPipeline(
        vae=sd.vae,
        text_encoder=sd.text_encoder,
        tokenizer=sd.tokenizer,
        unet=sd.unet,
        scheduler=sd.scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    reference.set_progress_bar_config(disable=True)
    expected = reference(
        "a boat",
        video_length=3,
        height=size,
        width=size,
        num_inference_steps=steps,
        guidance_scale=9.0,
        generator=torch.Generator("cpu").manual_seed(4),
        motion_field_strength_x=strength[0],
        motion_field_strength_y=strength[1],
        t0=t0,
        t1=t1,
        output_type="np",
    ).images
    assert len(ours.frames) == 3
    for k, frame in enumerate(ours.frames):
        assert max_diff(frame, to_uint8(np.asarray(expected[k]))) <= 1, f"frame {k}"
    assert max_diff(ours.frames[1], ours.frames[2]) > 0


def test_motion_field_changes_later_frames_only_and_is_deterministic(pipe):
    smaps = moving_blob(3)
    kwargs = dict(seed=7, steps=4, t0=1, t1=2)
    reports: list[tuple] = []
    plain = generate_video(pipe, "a boat", smaps, seed=7, steps=4)
    moved = generate_video(
        pipe, "a boat", smaps, motion_field=True, progress=lambda *r: reports.append(r), **kwargs
    )
    again = generate_video(pipe, "a boat", smaps, motion_field=True, **kwargs)
    chunked = generate_video(pipe, "a boat", smaps, motion_field=True, chunk_size=2, **kwargs)
    # frame 0: its own latent at t1, never warped nor re-noised -> the plain run's (= the still image)
    assert max_diff(moved.frames[0], plain.frames[0]) <= 1
    assert all(max_diff(moved.frames[k], plain.frames[k]) > 1 for k in (1, 2))
    for a, b, c in zip(moved.frames, again.frames, chunked.frames, strict=True):
        np.testing.assert_array_equal(a, b)
        assert max_diff(a, c) <= 1  # one draw of the forward noise for all frames: chunks agree
    # frame 0 alone for steps - t0 - 1 = 2 steps, then all frames for t1 + 1 = 3 steps
    assert reports == [("denoising", k, 2 + 3) for k in range(5 + 1)]
    assert moved.params["motion_field"] is True and moved.params["t0"] == 1 and moved.params["t1"] == 2
    assert plain.params["motion_field"] is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(dict(steps=4, t0=1, t1=4), "t1", id="t1-past-the-schedule"),
        pytest.param(dict(steps=20), "motion_field_times", id="default-t0-t1-need-48-steps"),
        pytest.param(dict(steps=4, t0=2, t1=2), "t0", id="t0-not-below-t1"),
        pytest.param(
            dict(steps=4, t0=1, t1=2, motion_field_strength_x=float("nan")), "strength_x", id="nan-strength"
        ),
    ],
)
def test_bad_motion_field_settings(pipe, kwargs, message):
    with pytest.raises(UserInputError, match=message):
        generate_video(pipe, "a boat", moving_blob(2), motion_field=True, **kwargs)


def test_cli_video_with_motion_field(tmp_path, capsys, monkeypatch):
    from gazefusion.cli import main

    monkeypatch.delenv("GAZEFUSION_MODEL", raising=False)
    out = tmp_path / "out"
    argv = ["generate", "--video", "--motion-field", "--motion-strength", "64,0", "--frames", "2"]
    argv += ["--steps", "4", "--height", "32", "--width", "32", "--format", "gif", "--out", str(out)]
    try:
        main(argv)
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    meta = json.loads(next(out.glob("*.json")).read_text())
    assert meta["params"]["motion_field"] is True
    assert (meta["params"]["t0"], meta["params"]["t1"]) == (2, 3)  # motion_field_times(4)
    assert (meta["params"]["motion_field_strength_x"], meta["params"]["motion_field_strength_y"]) == (64, 0)
    for bad, name in ((["--motion-strength", "12"], "--motion-strength"), (["--steps", "1"], "--steps")):
        with pytest.raises(SystemExit) as exc:
            main(["generate", "--video", "--motion-field", "--out", str(tmp_path / "x"), *bad])
        assert exc.value.code == 2
        assert name in capsys.readouterr().err
