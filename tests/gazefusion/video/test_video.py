"""Text2Video-Zero ControlNet-mode video on tiny components, and video files."""

from __future__ import annotations

import numpy as np
import pytest
from testsupport import max_diff

from gazefusion.errors import UserInputError
from gazefusion.video import generate_video, write_video
from gazefusion.video.t2v_zero import cross_frame_processor_class, frame_chunks

STEPS = 2
SIZE = 32


def moving_blob(n: int) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    return [
        np.exp(-((xx - (6 + 20 * k / max(n - 1, 1))) ** 2 + (yy - 16) ** 2) / 30.0).astype(np.float32)
        for k in range(n)
    ]


def test_frames_count_shape_and_determinism(pipe):
    smaps = moving_blob(3)
    steps_seen = []
    a = generate_video(pipe, "a boat", smaps, seed=4, steps=STEPS, progress=lambda *r: steps_seen.append(r))
    b = generate_video(pipe, "a boat", smaps, seed=4, steps=STEPS)
    assert steps_seen == [("denoising", k, STEPS) for k in range(STEPS + 1)]  # one chunk: STEPS steps in all
    assert len(a.frames) == 3
    assert all(f.shape == (SIZE, SIZE, 3) and f.dtype == np.uint8 for f in a.frames)
    for fa, fb in zip(a.frames, b.frames, strict=True):
        np.testing.assert_array_equal(fa, fb)
    assert max_diff(a.frames[0], a.frames[2]) > 0  # the moving smap moves the content
    assert a.params["frames"] == 3 and a.params["seed"] == 4


def test_cross_frame_attention_installed_on_unet_and_controlnet_then_restored(pipe):
    cls = cross_frame_processor_class()
    before = {name: type(p) for name, p in pipe.sd.unet.attn_processors.items()}
    seen = {}

    def spy(name):
        def hook(module, args, kwargs):
            seen[name] = {type(p) for p in module.attn_processors.values()}

        return hook

    handles = [
        pipe.sd.unet.register_forward_pre_hook(spy("unet"), with_kwargs=True),
        pipe.sd.controlnet.register_forward_pre_hook(spy("controlnet"), with_kwargs=True),
    ]
    try:
        generate_video(pipe, "a boat", moving_blob(2), steps=1)
    finally:
        for h in handles:
            h.remove()
    assert seen == {"unet": {cls}, "controlnet": {cls}}
    assert {name: type(p) for name, p in pipe.sd.unet.attn_processors.items()} == before
    assert cls not in {type(p) for p in pipe.sd.controlnet.attn_processors.values()}


def test_first_frame_is_the_still_image_and_later_frames_attend_to_it(pipe):
    smaps = moving_blob(3)
    video = generate_video(pipe, "a boat", smaps, seed=21, steps=STEPS)
    still = [pipe("a boat", s, seed=[21], steps=STEPS).images[0] for s in smaps]
    assert max_diff(video.frames[0], still[0]) <= 1  # shared latent = the still image's noise
    assert max_diff(video.frames[2], still[2]) > 1  # cross-frame attention changes the other frames


def test_chunks_keep_the_anchor_frame(pipe):
    assert frame_chunks(7, 3) == [[0, 1, 2], [0, 3, 4], [0, 5, 6]]
    assert frame_chunks(2, 8) == [[0, 1]]
    smaps = moving_blob(4)
    whole = generate_video(pipe, "a boat", smaps, seed=2, steps=STEPS)
    chunked = generate_video(pipe, "a boat", smaps, seed=2, steps=STEPS, chunk_size=2)
    assert len(chunked.frames) == 4
    for fa, fb in zip(whole.frames, chunked.frames, strict=True):
        assert max_diff(fa, fb) <= 1


def test_bad_video_inputs(pipe):
    with pytest.raises(UserInputError, match="at least one"):
        generate_video(pipe, "a boat", [], steps=1)
    with pytest.raises(UserInputError, match="one size"):
        generate_video(pipe, "a boat", [np.zeros((32, 32), np.float32), np.zeros((16, 16), np.float32)])
    with pytest.raises(UserInputError, match="NaN"):
        generate_video(pipe, "a boat", [np.full((32, 32), np.nan, np.float32)])


def _moving_square_frames(n: int = 5) -> list[np.ndarray]:
    """Smooth 32x48 frames (x/y colour ramps, blue level 40 k) with a yellow square moving 8 px a frame."""
    y, x = np.mgrid[0:32, 0:48]
    frames = []
    for k in range(n):
        frame = np.stack([x * 5, y * 7, np.full_like(x, 40 * k)], axis=-1)
        frame[8:20, 4 + 8 * k : 16 + 8 * k] = (250, 250, 60)
        frames.append(frame.astype(np.uint8))
    return frames


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_write_video_round_trip(tmp_path, suffix):
    import imageio.v3 as iio

    frames = _moving_square_frames()
    path = write_video(frames, tmp_path / f"clip{suffix}", fps=10)
    plugin = "FFMPEG" if suffix == ".mp4" else "pillow"
    back = iio.imread(path, plugin=plugin)[..., :3]
    assert back.shape == (5, 32, 48, 3) and back.dtype == np.uint8
    meta = iio.immeta(path, plugin=plugin)
    if suffix == ".mp4":
        assert meta["fps"] == 10 and meta["pix_fmt"].startswith("yuv420p")
    else:
        assert meta["duration"] == 100 and meta["loop"] == 0  # ms per frame, looping
    # pixels within codec tolerance (H.264 with 4:2:0 chroma, or a 256-colour GIF palette: ~2-4 levels
    # on average here), and each decoded frame is nearest to its own original: frame order kept
    for k, frame in enumerate(frames):
        err = np.abs(back[k].astype(int) - frame.astype(int))
        assert err.mean() < 6 and np.percentile(err, 99) < 32, (k, err.mean())
        others = [np.abs(back[k].astype(int) - f.astype(int)).mean() for f in frames]
        assert int(np.argmin(others)) == k and sorted(others)[1] > 20
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_write_video_rejects_unknown_format(tmp_path):
    with pytest.raises(UserInputError, match="mp4"):
        write_video([np.zeros((8, 8, 3), np.uint8)], tmp_path / "clip.avi")
