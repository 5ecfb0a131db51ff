"""EML-Net's two processing conventions, checked against independent computations (scipy, torch, PIL).

Each "alternative" below is a plausible mistake (another blur mode, truncation, resize library,
order); the tests assert it moves the map by more than 1e-3, i.e. that they would catch it.
"""

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms as T
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage

from gazefusion.saliency import get_saliency_model
from gazefusion.saliency.emlnet.conventions import prepare_input, prepare_output, scorer_input, scorer_output

H, W = 480, 640


def _image(height, width, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height // 4 + 1, width // 4 + 1, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(base).resize((width, height), Image.Resampling.NEAREST))


def _network_map(seed=1):
    """A sigmoid-like 480x640 map with structure at the borders (so the blur's border mode matters)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    m = 0.3 + 0.2 * rng.random((H, W)) + 0.4 * np.exp(-((xx - 5) ** 2 + (yy - 400) ** 2) / 200.0)
    return m.astype(np.float32)


def _minmax(x):
    x = np.asarray(x, np.float64)
    return (x - x.min()) / (x.max() - x.min())


def _torch_resize(x, size, antialias=True):
    t = torch.from_numpy(np.asarray(x, np.float32))[None, None]
    return F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=antialias)[
        0, 0
    ].numpy()


def _far(a, b):
    return np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max() > 1e-3


# -- scorer -------------------------------------------------------------------------------------------
def test_scorer_input_is_eval_script_preprocessing():
    img = _image(300, 411)
    original = T.Compose([T.Resize((H, W)), T.ToTensor()])(Image.fromarray(img))
    got = scorer_input(img)
    assert got.shape == (3, H, W) and got.dtype == torch.float32
    torch.testing.assert_close(got, original, rtol=0, atol=0)
    alt = cv2.resize(img, (W, H), interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1) / 255.0
    assert _far(got.numpy(), alt)


@pytest.mark.parametrize("size", [(300, 411), (600, 900), (H, W)], ids=["shrink", "enlarge", "same"])
def test_scorer_output_blur_then_minmax_then_antialiased_resize(size):
    pred = _network_map()
    blurred = ndimage.gaussian_filter(pred.astype(np.float64), 5, mode="nearest", truncate=4.0)
    expected = _torch_resize(_minmax(blurred), size)
    got = scorer_output(pred, size)
    assert got.shape == size and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=2e-6)
    # alternatives that must be told apart
    assert _far(expected, _torch_resize(_minmax(ndimage.gaussian_filter(pred, 5, mode="reflect")), size))
    if size != (H, W):
        resized_first = _minmax(ndimage.gaussian_filter(_torch_resize(pred, size), 5, mode="nearest"))
        assert _far(expected, resized_first)
    if size[0] < H:  # shrinking: cv2's bilinear and non-antialiased resizes differ from PIL's
        assert _far(
            expected,
            cv2.resize(_minmax(blurred).astype(np.float32), size[::-1], interpolation=cv2.INTER_LINEAR),
        )
        assert _far(expected, _torch_resize(_minmax(blurred), size, antialias=False))


def test_scorer_blur_has_41_taps():
    pred = np.zeros((H, W), np.float32)
    pred[240, 320] = 1.0
    out = scorer_output(pred, (H, W))
    rows, cols = np.nonzero(out)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (220, 260, 300, 340)
    assert _far(out, _minmax(ndimage.gaussian_filter(pred, 5, mode="nearest", truncate=3.0)))


# -- prepare ------------------------------------------------------------------------------------------
def test_prepare_input_divides_first_then_antialiased_bilinear():
    img = _image(512, 512, seed=3)
    chw = torch.from_numpy(img.transpose(2, 0, 1).copy())
    x = chw.float()[None] / 255.0
    expected = F.interpolate(x, size=(H, W), mode="bilinear", align_corners=False, antialias=True)[0]
    got = prepare_input(img)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
    uint8_first = T.functional.resize(chw, [H, W]).float() / 255  # resizing the uint8 tensor rounds
    no_antialias = F.interpolate(x, size=(H, W), mode="bilinear", align_corners=False)[0]
    assert _far(got.numpy(), uint8_first.numpy()) and _far(got.numpy(), no_antialias.numpy())


@pytest.mark.parametrize("size", [(512, 512), (256, 384)])
def test_prepare_output_resize_before_blur_sigma_10(size):
    pred = _network_map(seed=4)
    expected = _minmax(
        ndimage.gaussian_filter(
            _torch_resize(pred, size).astype(np.float64), 10, mode="nearest", truncate=4.0
        )
    )
    got = prepare_output(torch.from_numpy(pred), size)
    assert got.shape == size and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=2e-6)
    blur_first = _torch_resize(_minmax(ndimage.gaussian_filter(pred, 10, mode="nearest")), size)
    sigma5 = _minmax(ndimage.gaussian_filter(_torch_resize(pred, size), 5, mode="nearest"))
    assert _far(expected, blur_first) and _far(expected, sigma5)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 700), st.integers(1, 700), st.sampled_from(["scorer", "prepare"]), st.booleans())
def test_outputs_shape_and_range(height, width, convention, constant):
    pred = np.full((H, W), 0.7, np.float32) if constant else _network_map(seed=height)
    if convention == "scorer":
        out = scorer_output(pred, (height, width))
    else:
        out = prepare_output(torch.from_numpy(pred), (height, width))
    assert out.shape == (height, width) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    if constant:  # a flat network output has no salient region: all zeros, not NaN
        assert not out.any()


# -- the model, with a known stand-in network -----------------------------------------------------------
class _GreyNet(torch.nn.Module):
    """Stand-in network: the channel mean of the 480x640 input, squashed to (0.1, 0.9)."""

    def forward(self, x):
        assert x.shape[1:] == (3, H, W)
        return 0.1 + 0.8 * x.mean(dim=1, keepdim=True)


@pytest.mark.parametrize("convention", ["scorer", "prepare"])
def test_model_wiring_with_stand_in_network(convention):
    images = [_image(96, 128, seed=5), _image(512, 512, seed=6), _image(70, 40, seed=7)]
    model = get_saliency_model("emlnet", convention=convention, batch_size=2)
    model.network = _GreyNet()
    maps = model.predict(images)
    for img, smap in zip(images, maps, strict=True):
        size = img.shape[:2]
        if convention == "scorer":
            small = (
                np.asarray(Image.fromarray(img).resize((W, H), Image.Resampling.BILINEAR), np.float32) / 255
            )
            net = 0.1 + 0.8 * small.mean(axis=2)
            expected = _torch_resize(_minmax(ndimage.gaussian_filter(net, 5, mode="nearest")), size)
        else:
            x = torch.from_numpy(img.transpose(2, 0, 1).astype(np.float32))[None] / 255
            x = F.interpolate(x, size=(H, W), mode="bilinear", antialias=True, align_corners=False)
            net = (0.1 + 0.8 * x.mean(dim=1))[0].numpy()
            expected = _minmax(ndimage.gaussian_filter(_torch_resize(net, size), 10, mode="nearest"))
        np.testing.assert_allclose(smap, expected, atol=5e-6)


def test_unknown_convention_is_user_error():
    from gazefusion.errors import UserInputError

    with pytest.raises(UserInputError, match="convention must be one of scorer, prepare"):
        get_saliency_model("emlnet", convention="eval")


@pytest.mark.parametrize("device", ["banana", "cuda:7"])
def test_bad_or_absent_device_is_user_error(device):
    from gazefusion.errors import UserInputError

    model = get_saliency_model("emlnet", device=device)
    model.network = _GreyNet()
    with pytest.raises(UserInputError, match="device"):
        model.predict(np.zeros((8, 8, 3), np.uint8))


def test_prepare_bytes_equal_process_py_steps():
    """GazeFusion's process.py steps, written out here, give the same uint8 maps byte for byte."""
    from skimage import filters
    from torchvision.transforms.functional import resize

    from gazefusion.saliency.emlnet.conventions import as_uint8_truncated

    crops = [_image(512, 512, seed=s) for s in (10, 11, 12)]
    net = _GreyNet()
    batch = resize(
        torch.stack([torch.from_numpy(c.transpose(2, 0, 1).copy()).float() for c in crops]) / 255.0, (H, W)
    )
    smaps = resize(net(batch).squeeze(dim=1), (512, 512))
    reference = []
    for smap in smaps:
        x = filters.gaussian(smap.numpy(), 10)
        x -= x.min()
        x /= x.max()
        reference.append((x * 255.0).astype(np.uint8))
    model = get_saliency_model("emlnet", convention="prepare", batch_size=3)
    model.network = net
    for got, ref in zip(model.predict(crops), reference, strict=True):
        np.testing.assert_array_equal(as_uint8_truncated(got), ref)


def test_scorer_bytes_equal_eval_combined_steps_at_480x640():
    """EML-Net's eval_combined.py steps, written out here, give the same uint8 map at 480x640."""
    from skimage import filters

    img = _image(480, 640, seed=13)
    net = _GreyNet()
    processed = T.Compose([T.Resize((H, W)), T.ToTensor()])(Image.fromarray(img)).unsqueeze(0)
    pred = net(processed).squeeze().numpy()
    pred = filters.gaussian(pred, 5)
    pred -= pred.min()
    pred /= pred.max()
    reference = (pred * 255).astype(np.uint8)
    model = get_saliency_model("emlnet")
    model.network = net
    got = model.predict(img)[0]
    np.testing.assert_array_equal((got * 255).astype(np.uint8), reference)
