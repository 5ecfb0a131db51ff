"""Tiny-model fixtures shared by the model tests (built once per test process)."""

from pathlib import Path

import pytest

from gazefusion.models import tiny


@pytest.fixture(scope="session")
def tiny_cldm(tmp_path_factory) -> dict:
    """The tiny cldm state dict (seed 0) as built in memory."""
    return tiny.tiny_cldm_state_dict(seed=0)


@pytest.fixture(scope="session")
def tiny_cldm_files(tmp_path_factory) -> dict[str, Path]:
    """The tiny cldm checkpoint (seed 0) in each file form."""
    folder = tmp_path_factory.mktemp("cldm")
    names = {
        "bare": "tiny.ckpt",
        "lightning": "epoch=3-step=5000.ckpt",
        "safetensors": "tiny.safetensors",
        "fp16": "tiny-fp16.ckpt",
    }
    return {form: tiny.save_tiny_cldm(folder / name, seed=0, form=form) for form, name in names.items()}
