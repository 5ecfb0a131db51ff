"""Strict loading of EML-Net release files in every form the original loaders accept."""

import itertools
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image
from scipy import ndimage

from gazefusion.errors import UserInputError
from gazefusion.saliency import available_saliency_models, get_saliency_model
from gazefusion.saliency.emlnet import read_state_dict, save_release_files
from gazefusion.saliency.emlnet.network import EMLNetDecoder, EMLNetEncoder, EMLNetNetwork
from gazefusion.saliency.emlnet.weights import load_strict

FORMS = [
    pytest.param(
        w, p, z, id=f"{'wrapped' if w else 'bare'}-{'module' if p else 'plain'}-{'zip' if z else 'legacy'}"
    )
    for w, p, z in itertools.product([True, False], repeat=3)
]


def _random_state(module, seed):
    g = torch.Generator().manual_seed(seed)
    return {
        k: (
            torch.randn(v.shape, generator=g)
            if v.is_floating_point()
            else torch.randint(0, 9, v.shape, generator=g)
        )
        for k, v in module.state_dict().items()
    }


def _save(obj_state, path, wrapped, prefixed, zipped):
    state = {("module." + k if prefixed else k): v for k, v in obj_state.items()}
    torch.save(
        {"state_dict": state, "epoch": torch.tensor(3)} if wrapped else state,
        path,
        _use_new_zipfile_serialization=zipped,
    )


def _assert_state_equal(module, state):
    got = module.state_dict()
    assert list(got) == list(state)
    for k, v in state.items():
        torch.testing.assert_close(got[k], v.to(got[k].dtype), rtol=0, atol=0, msg=k)


@pytest.mark.parametrize("wrapped, prefixed, zipped", FORMS)
def test_decoder_every_form_loads_every_key(tmp_path, wrapped, prefixed, zipped):
    state = _random_state(EMLNetDecoder(), seed=1)
    path = tmp_path / "res_decoder.pth"
    _save(state, path, wrapped, prefixed, zipped)
    if not zipped:  # really the legacy (non-zip) serialisation
        assert not path.read_bytes().startswith(b"PK")
    dec = EMLNetDecoder()
    load_strict(dec, path)
    _assert_state_equal(dec, state)


@pytest.fixture(scope="module")
def encoder_state():
    return _random_state(EMLNetEncoder(), seed=2)


@pytest.mark.parametrize(
    "wrapped, prefixed, zipped",
    [(True, True, False), (False, False, True)],
    ids=["wrapped-module-legacy", "bare-plain-zip"],
)
def test_encoder_forms_load_every_key(tmp_path, encoder_state, wrapped, prefixed, zipped):
    path = tmp_path / "res_imagenet.pth"
    _save(encoder_state, path, wrapped, prefixed, zipped)
    enc = EMLNetEncoder()
    load_strict(enc, path)
    _assert_state_equal(enc, encoder_state)


def test_missing_and_unexpected_keys_are_named(tmp_path, encoder_state):
    state = dict(encoder_state)
    del state["layer3.2.bn2.running_var"]
    state["fc.weight"] = torch.zeros(1000, 2048)
    path = tmp_path / "res_places.pth"
    _save(state, path, True, True, True)
    with pytest.raises(
        UserInputError, match=r"missing keys layer3\.2\.bn2\.running_var; unexpected keys fc\.weight"
    ):
        load_strict(EMLNetEncoder(), path)


def test_wrong_shape_is_named(tmp_path):
    state = _random_state(EMLNetDecoder(), seed=3)
    state["combined.0.weight"] = torch.zeros(1, 5, 3, 3)
    path = tmp_path / "res_decoder.pth"
    _save(state, path, True, False, True)
    with pytest.raises(UserInputError, match=r"wrong shapes: combined\.0\.weight \(1, 5, 3, 3\)"):
        load_strict(EMLNetDecoder(), path)


def test_decoder_weights_in_encoder_slot_is_error(tmp_path):
    path = tmp_path / "res_imagenet.pth"
    _save(_random_state(EMLNetDecoder(), seed=4), path, True, False, True)
    with pytest.raises(
        UserInputError, match=r"missing keys conv1\.weight.*\(\+\d+ more\); unexpected keys img_model"
    ):
        load_strict(EMLNetEncoder(), path)


def _truncated(tmp_path, zipped):
    path = tmp_path / "full.pth"
    _save(_random_state(EMLNetDecoder(), seed=5), path, True, False, zipped)
    data = path.read_bytes()
    bad = tmp_path / "res_decoder.pth"
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _foreign_pickle(tmp_path):
    bad = tmp_path / "res_decoder.pth"
    with open(bad, "wb") as fh:
        pickle.dump({"state_dict": {"w": np.zeros(3)}}, fh)  # numpy object: refused by weights_only
    return bad


def _text(tmp_path):
    bad = tmp_path / "res_decoder.pth"
    bad.write_text("<html>404 Not Found</html>\n")
    return bad


def _not_tensors(tmp_path):
    bad = tmp_path / "res_decoder.pth"
    torch.save({"state_dict": {"w": [1, 2, 3]}}, bad)
    return bad


@pytest.mark.parametrize(
    "make, match",
    [
        pytest.param(lambda p: _truncated(p, True), "truncated or corrupt", id="truncated-zip"),
        pytest.param(lambda p: _truncated(p, False), "truncated or corrupt", id="truncated-legacy"),
        pytest.param(
            _foreign_pickle, "not a readable PyTorch checkpoint .a foreign file", id="foreign-pickle"
        ),
        pytest.param(_text, "not a readable PyTorch checkpoint .a foreign file", id="html-text"),
        pytest.param(_not_tensors, "state dict of tensors", id="not-tensors"),
        pytest.param(lambda p: p / "absent.pth", "not found", id="absent"),
    ],
)
def test_unreadable_file_gives_one_line_error(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(UserInputError, match=match) as info:
        read_state_dict(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_release_files_round_trip_and_predict(tmp_path, monkeypatch):
    """Random weights in the release layout → strict load → predict (scorer). The network's input and
    output (captured by a hook; one 480x640 forward pass in all) are checked against the eval
    script's steps done independently."""
    torch.manual_seed(0)
    net = EMLNetNetwork()
    paths = save_release_files(net, tmp_path, wrapper=True, prefix=True, legacy=True)
    assert sorted(p.name for p in paths.values()) == ["res_decoder.pth", "res_imagenet.pth", "res_places.pth"]
    raw_decoder = torch.load(paths["decoder"], weights_only=True)
    assert set(raw_decoder) == {"state_dict"} and not any(
        k.startswith("module.") for k in raw_decoder["state_dict"]
    )
    raw_encoder = torch.load(paths["places"], weights_only=True)["state_dict"]
    assert len(raw_encoder) == 360 and all(k.startswith("module.") for k in raw_encoder)

    monkeypatch.setenv("GAZEFUSION_EMLNET_DIR", str(tmp_path))
    assert "emlnet" in available_saliency_models()
    model = get_saliency_model("emlnet")
    loaded = model.load()
    assert not loaded.training
    _assert_state_equal(loaded, net.state_dict())

    seen = {}
    loaded.register_forward_hook(lambda mod, args, out: seen.update(x=args[0], pred=out))
    img = np.asarray(
        Image.fromarray(np.random.default_rng(8).integers(0, 256, (24, 32, 3), dtype=np.uint8)).resize(
            (128, 96)
        )
    )
    smap = model.predict(img)[0]
    x = T.Compose([T.Resize((480, 640)), T.ToTensor()])(Image.fromarray(img))[None]
    torch.testing.assert_close(seen["x"], x, rtol=0, atol=0)
    pred = seen["pred"]
    assert pred.shape == (1, 1, 480, 640) and 0 < pred.min() and pred.max() < 1  # a sigmoid map
    pred = pred[0, 0].numpy().astype(np.float64)
    assert pred.std() > 1e-3  # the random network is not saturated, so the check below means something
    blurred = ndimage.gaussian_filter(pred, 5, mode="nearest", truncate=4.0)
    norm = torch.from_numpy((blurred - blurred.min()) / (blurred.max() - blurred.min())).float()[None, None]
    expected = F.interpolate(norm, size=(96, 128), mode="bilinear", align_corners=False, antialias=True)[0, 0]
    np.testing.assert_allclose(smap, expected.numpy(), atol=1e-5)


def test_missing_release_files_named(tmp_path):
    model = get_saliency_model("emlnet", weights_dir=tmp_path)
    with pytest.raises(UserInputError, match=r"EML-Net weights not found: .*res_imagenet\.pth"):
        model.predict(np.zeros((8, 8, 3), np.uint8))
