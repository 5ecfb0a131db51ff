"""Fixtures shared by the gazefusion tests: one torch thread, the tiny random model in memory and on disk."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one thread; more only spin against the other xdist worker."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_components() -> dict:
    """Tiny random components, seed 0 (built once per worker; tests must not modify them in place)."""
    from gazefusion.models.tiny import build_tiny_components

    return build_tiny_components(seed=0)


@pytest.fixture()
def fresh_tiny_components() -> dict:
    """The same tiny components, built anew for a test that modifies them."""
    from gazefusion.models.tiny import build_tiny_components

    return build_tiny_components(seed=0)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """The tiny model (seed 0) as a diffusers pipeline folder (written once per worker; read only)."""
    from gazefusion.models.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def small_train_args(tiny_model_dir):
    """``small_train_args(data, out, *extra)``: arguments of a small CPU ``train`` run of the tiny model.

    32 px, batch 2, no data-loader workers, no reporting, no validation; ``extra`` are appended.
    """

    def make(data, out, *extra) -> list[str]:
        return [
            "--data",
            str(data),
            "--output-dir",
            str(out),
            "--model",
            str(tiny_model_dir),
            "--resolution",
            "32",
            "--train-batch-size",
            "2",
            "--dataloader-num-workers",
            "0",
            "--report-to",
            "none",
            "--validation-steps",
            "0",
            *map(str, extra),
        ]

    return make
