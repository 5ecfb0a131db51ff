"""Fixtures of the pipeline tests: tiny SD2.1-base-shaped components with random weights."""

from __future__ import annotations

import pytest


def build_components(seed: int = 0) -> dict:
    """gazefusion.models.tiny's components, with a hint encoder that passes the smap on.

    At default init the hint encoder's eight SiLU convolutions shrink differences between hints
    to ~1e-3 of the signal: the smap could hardly change an 8-bit output and the tests of its
    effect would be fragile. Here the hint encoder gets He-normal weights (its last layer 10x, so
    the hint is about as strong as the latent); everything else is the factory's.
    """
    import torch

    from gazefusion.models.tiny import build_tiny_components

    components = build_tiny_components(seed=seed)
    embedding = components["controlnet"].controlnet_cond_embedding
    g = torch.Generator().manual_seed(seed + 3)
    with torch.no_grad():
        for conv in embedding.modules():
            if isinstance(conv, torch.nn.Conv2d):
                gain = 10.0 if conv is embedding.conv_out else 1.0
                std = gain * (2.0 / conv.weight[0].numel()) ** 0.5
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * std)
                conv.bias.zero_()
    return components


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one thread; more only spin against the other xdist worker."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_components():
    """Tiny random components (built once per worker; tests must not modify them in place)."""
    return build_components(seed=0)


@pytest.fixture()
def fresh_tiny_components():
    """The same tiny components, built anew for a test that modifies them."""
    return build_components(seed=0)
