"""Crop geometry against the original process.py's own slicing, re-stated independently here."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.transforms.functional import resize

from gazefusion.data.crops import crop_boxes, cut_crops, is_dark, resize_shorter_side, resized_size
from gazefusion.errors import UserInputError


def original_patches(image: torch.Tensor, resolution: int) -> list[np.ndarray]:
    """GazeFusion process.py's prepare_images loop, on an already-resized (3, H, W) tensor."""
    stride = resolution // 2
    height, width = image.shape[1:]
    landscape = height <= width
    patches = []
    for patch_id in range((max(height, width) - min(height, width)) // stride + 1):
        if landscape:
            patch = image[..., patch_id * stride : patch_id * stride + resolution]
        else:
            patch = image[:, patch_id * stride : patch_id * stride + resolution]
        patches.append(patch.numpy().transpose(1, 2, 0))
    if (max(height, width) - min(height, width)) % stride >= stride // 2:
        patch = image[..., -resolution:] if landscape else image[:, -resolution:]
        patches.append(patch.numpy().transpose(1, 2, 0))
    return patches


@pytest.mark.parametrize(
    ("size", "resized", "n_crops"),
    [
        pytest.param((640, 480), (682, 512), 2, id="coco-landscape"),
        pytest.param((480, 640), (512, 682), 2, id="coco-portrait"),
        pytest.param((700, 700), (512, 512), 1, id="square"),
        pytest.param((512, 512 + 383), (512, 895), 2, id="remainder-127-no-flush"),
        pytest.param((512, 512 + 384), (512, 896), 3, id="remainder-128-flush"),
        pytest.param((512 + 512, 512), (1024, 512), 3, id="exact-multiple"),
    ],
)
def test_crop_counts(size, resized, n_crops):
    assert resized_size(*size, 512) == resized
    boxes = crop_boxes(*resized, 512)
    assert len(boxes) == n_crops
    assert [b.index for b in boxes] == list(range(1, n_crops + 1))
    assert all(b.right - b.left == 512 and b.bottom - b.top == 512 for b in boxes)
    # The last crop ends at the far edge whenever the flush rule applies.
    extra = max(resized) - 512
    if extra % 256 >= 128:
        assert max(boxes[-1].right, boxes[-1].bottom) == max(resized)


def test_coco_image_crops_are_left_and_right():
    boxes = crop_boxes(682, 512, 512)
    assert [b.box for b in boxes] == [(0, 0, 512, 512), (170, 0, 682, 512)]


@settings(max_examples=40, deadline=None)
@given(
    w=st.integers(8, 120),
    h=st.integers(8, 120),
    resolution=st.sampled_from([8, 16, 32]),
    seed=st.integers(0, 99),
)
def test_cut_crops_equal_original_loop(w, h, resolution, seed):
    image = torch.from_numpy(np.random.default_rng(seed).integers(0, 256, (3, h, w), dtype=np.uint8))
    ours = cut_crops(image, resolution)
    expected = original_patches(resize(image, resolution), resolution)
    assert len(ours) == len(expected)
    for (_, crop), ref in zip(ours, expected, strict=True):
        np.testing.assert_array_equal(crop, ref)


def test_resize_is_torchvision_default_call():
    """The original called ``resize(image, R)`` with torchvision's defaults (bilinear, antialias on)."""
    image = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 75, 131), dtype=np.uint8))
    out = resize_shorter_side(image, 32)
    assert out.shape == (3, 32, int(32 * 131 / 75))
    torch.testing.assert_close(out, resize(image, 32), rtol=0, atol=0)
    aliased = resize(image, 32, antialias=False)
    assert not torch.equal(out, aliased)  # antialiasing matters on this downscale


def test_dark_filter_threshold():
    crop = np.zeros((4, 4, 3), np.uint8)
    crop.flat[:48] = 1  # mean exactly 1.0: dropped (the original keeps only mean > 1.0)
    assert is_dark(crop)
    crop.flat[0] = 2
    assert not is_dark(crop)


def test_bad_geometry_is_a_user_error():
    with pytest.raises(UserInputError, match="shorter side"):
        crop_boxes(600, 500, 512)
    with pytest.raises(UserInputError, match="positive"):
        crop_boxes(512, 512, 512, stride=0)
