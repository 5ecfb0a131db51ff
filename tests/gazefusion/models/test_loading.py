"""load_components resolves None / folder / cldm file / hub id offline and describes what it loaded."""

import pytest
import torch

from gazefusion.errors import UserInputError
from gazefusion.models import loading
from gazefusion.models.loading import COMPONENT_NAMES, file_sha256, load_components

MODULES = ("unet", "controlnet", "vae", "text_encoder")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty hub cache
    monkeypatch.delenv("GAZEFUSION_MODEL", raising=False)


def _same_weights(a, b):
    return all(
        torch.equal(a[n].state_dict()[k], b[n].state_dict()[k]) for n in MODULES for k in a[n].state_dict()
    )


def test_none_gives_the_tiny_model_and_says_so(tiny_components):
    components, description = load_components()
    assert set(components) == set(COMPONENT_NAMES)
    assert description["source"] == "tiny" and "tiny" in description["notice"]
    assert "\n" not in description["notice"]
    assert description["weight_hash"].startswith("sha256:") and len(description["weight_hash"]) == 71
    assert _same_weights(components, tiny_components)
    assert load_components()[1]["weight_hash"] == description["weight_hash"]
    assert load_components(tiny_seed=1)[1]["weight_hash"] != description["weight_hash"]


def test_folder_and_cldm_file_give_the_same_weights(tiny_model_dir, tiny_cldm_files, tiny_components):
    from_folder, folder_description = load_components(tiny_model_dir)
    from_cldm, cldm_description = load_components(str(tiny_cldm_files["lightning"]))
    assert folder_description["source"] == "diffusers" and cldm_description["source"] == "cldm"
    assert folder_description["notice"] is None
    assert cldm_description["weight_hash"] == "sha256:" + file_sha256(tiny_cldm_files["lightning"])
    assert _same_weights(from_folder, tiny_components) and _same_weights(from_cldm, tiny_components)


def test_environment_variable_names_the_default_model(monkeypatch, tiny_cldm_files):
    monkeypatch.setenv("GAZEFUSION_MODEL", str(tiny_cldm_files["bare"]))
    assert load_components()[1]["source"] == "cldm"


def test_dtype_is_applied(tiny_cldm_files):
    components, description = load_components(tiny_cldm_files["bare"], dtype=torch.bfloat16)
    assert all(components[name].dtype == torch.bfloat16 for name in MODULES)
    assert description["dtype"] == "bfloat16"


def test_file_hash_is_cached_and_follows_changes(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"abc")
    import hashlib

    assert file_sha256(path) == hashlib.sha256(b"abc").hexdigest()
    assert loading._hash_cache_path().is_file()
    path.write_bytes(b"abcd")
    assert file_sha256(path) == hashlib.sha256(b"abcd").hexdigest()


@pytest.mark.parametrize(
    ("model", "match"),
    [
        pytest.param(
            "stabilityai/stable-diffusion-2-1-base",
            "no weights for stabilityai/stable-diffusion-2-1-base on this machine",
            id="uncached-hub-id",
        ),
        pytest.param("missing/model.ckpt", "found no such path", id="missing-file"),
        pytest.param("./nowhere", "found no such path", id="missing-folder"),
    ],
)
def test_unusable_models_give_clear_errors(model, match):
    with pytest.raises(UserInputError, match=match):
        load_components(model)


def test_wrong_folder_and_wrong_suffix(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UserInputError, match="model_index.json"):
        load_components(tmp_path)
    with pytest.raises(UserInputError, match="expected a checkpoint ending in"):
        load_components(tmp_path / "notes.txt")
