"""Weight files checked without loading: truncated or pickled-code files are one line naming the file."""

from __future__ import annotations

import os
import shutil

import pytest
import torch

from gazefusion.errors import UserInputError
from gazefusion.models.weightfiles import check_weight_files


class _Code:
    """Pickles as a call of ``os.system`` (never unpickled by the check)."""

    def __reduce__(self):
        return (os.system, ("echo never run",))


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


def test_intact_folder_and_state_dicts_pass(model_copy):
    state = torch.nn.Linear(3, 2).state_dict()
    torch.save(state, model_copy / "zip.bin")
    torch.save(state, model_copy / "legacy.bin", _use_new_zipfile_serialization=False)
    check_weight_files(model_copy)


def test_truncated_safetensors_is_named(model_copy):
    weights = sorted(model_copy.rglob("*.safetensors"))[0]
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) - 64])
    with pytest.raises(UserInputError, match=rf"weight file {weights} is truncated"):
        check_weight_files(model_copy)
    weights.write_bytes(data[:5])
    with pytest.raises(UserInputError, match=rf"weight file {weights} is truncated"):
        check_weight_files(model_copy)


def test_truncated_bin_is_named(model_copy):
    path = model_copy / "unet" / "diffusion_pytorch_model.bin"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserInputError, match=rf"weight file {path} is truncated"):
        check_weight_files(model_copy)


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_pickled_code_is_refused_without_running_it(model_copy, tmp_path, zipped, monkeypatch):
    path = model_copy / "controlnet" / "diffusion_pytorch_model.bin"
    torch.save({"weight": _Code()}, path, _use_new_zipfile_serialization=zipped)
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    with pytest.raises(
        UserInputError, match=rf"weight file {path} holds pickled code \((posix|nt)\.system\)"
    ):
        check_weight_files(model_copy)
    assert calls == []
