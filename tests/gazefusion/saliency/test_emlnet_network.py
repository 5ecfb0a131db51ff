"""EML-Net topology: key names, sizes and the forward pass, checked against torchvision and by hand."""

import pytest
import torch
import torch.nn.functional as F
import torchvision

from gazefusion.saliency.emlnet.network import EMLNetDecoder, EMLNetEncoder

SIDE_CHANNELS = [64, 256, 512, 1024, 2048]
BN_KEYS = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def _readout_keys(prefix):
    return [f"{prefix}.0.weight", f"{prefix}.0.bias"] + [f"{prefix}.1.{k}" for k in BN_KEYS]


def _randomise_bn(module, generator):
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=generator) + 0.5
            m.bias.data = torch.randn(n, generator=generator) * 0.1
            m.running_mean = torch.randn(n, generator=generator) * 0.1
            m.running_var = torch.rand(n, generator=generator) + 0.5


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    enc = EMLNetEncoder()
    _randomise_bn(enc, torch.Generator().manual_seed(1))
    return enc.eval()


def test_encoder_size_and_keys(encoder):
    state = encoder.state_dict()
    assert len(state) == 360
    assert sum(p.numel() for p in encoder.parameters()) == 23_543_231
    resnet_keys = [k for k in torchvision.models.resnet50().state_dict() if not k.startswith("fc.")]
    side_keys = [k for i in range(5) for k in _readout_keys(f"output{i}")] + _readout_keys("combined")
    assert list(state) == resnet_keys + side_keys
    for i, ch in enumerate(SIDE_CHANNELS):
        assert state[f"output{i}.0.weight"].shape == (1, ch, 3, 3)
        assert state[f"output{i}.0.bias"].shape == (1,)
    assert state["combined.0.weight"].shape == (1, 5, 3, 3)


def test_decoder_size_and_keys():
    dec = EMLNetDecoder()
    state = dec.state_dict()
    assert (len(state), sum(p.numel() for p in dec.parameters())) == (77, 213)
    expected = [
        k for part in ("img_model", "pla_model") for i in range(5) for k in _readout_keys(f"{part}.{i}")
    ]
    assert list(state) == expected + _readout_keys("combined")
    assert state["combined.0.weight"].shape == (1, 10, 3, 3)
    assert dec.shape == (480, 640)


def _readout(x, state, prefix, final):
    """conv3x3(pad 1, bias) -> eval BatchNorm by its formula -> final activation."""
    y = F.conv2d(x, state[f"{prefix}.0.weight"], state[f"{prefix}.0.bias"], padding=1)
    mean, var = state[f"{prefix}.1.running_mean"], state[f"{prefix}.1.running_var"]
    y = (y - mean.view(1, -1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1) + 1e-5)
    y = y * state[f"{prefix}.1.weight"].view(1, -1, 1, 1) + state[f"{prefix}.1.bias"].view(1, -1, 1, 1)
    return final(y)


def test_encoder_side_outputs_match_torchvision_features(encoder):
    """Side output 0 is taken from the stem before the max-pool; 1-4 from layer1..layer4."""
    reference = torchvision.models.resnet50()
    missing, unexpected = reference.load_state_dict(encoder.state_dict(), strict=False)
    assert set(missing) == {"fc.weight", "fc.bias"}
    reference.eval()
    state = encoder.state_dict()
    x = torch.rand(2, 3, 64, 96, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        got = encoder(x)
        stem = reference.relu(reference.bn1(reference.conv1(x)))
        feats = [stem]
        h = reference.maxpool(stem)
        for layer in (reference.layer1, reference.layer2, reference.layer3, reference.layer4):
            h = layer(h)
            feats.append(h)
        expected = [_readout(f, state, f"output{i}", torch.relu) for i, f in enumerate(feats)]
    assert [tuple(g.shape[2:]) for g in got] == [(32, 48), (16, 24), (8, 12), (4, 6), (2, 3)]
    for g, e in zip(got, expected, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)


def test_decoder_nearest_upsampling_and_concat_order():
    torch.manual_seed(3)
    dec = EMLNetDecoder(shape=(32, 48))
    _randomise_bn(dec, torch.Generator().manual_seed(4))
    dec.eval()
    state = dec.state_dict()
    sizes = [(16, 24), (8, 12), (4, 6), (2, 3), (1, 3)]  # the last one upsamples by (32, 16)
    img = [torch.rand(2, 1, *s) for s in sizes]
    pla = [torch.rand(2, 1, *s) for s in sizes]

    def up(t):  # nearest upsampling by integer factors == repeating pixels
        fy, fx = 32 // t.shape[2], 48 // t.shape[3]
        return t.repeat_interleave(fy, dim=2).repeat_interleave(fx, dim=3)

    maps = [up(_readout(f, state, f"img_model.{i}", torch.relu)) for i, f in enumerate(img)]
    maps += [up(_readout(f, state, f"pla_model.{i}", torch.relu)) for i, f in enumerate(pla)]
    expected = _readout(torch.cat(maps, 1), state, "combined", torch.sigmoid)
    with torch.no_grad():
        got = dec(img, pla)
        swapped = dec(pla, img)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert (got - swapped).abs().max() > 1e-3  # the test can tell ImageNet-first from Places-first
