"""cldm checkpoints: every file form loads safely; conversion is diffusers' own and round-trips exactly."""

import pickle
import shutil
from pathlib import Path

import pytest
import torch
from diffusers import StableDiffusionControlNetPipeline
from safetensors.torch import load_file

from gazefusion.errors import UserInputError
from gazefusion.models import SD21_CONFIG_DIR, TINY_CONFIG_DIR
from gazefusion.models.cldm import (
    EXTRAS_FILE,
    cldm_to_diffusers,
    components_from_cldm,
    diffusers_to_cldm,
    load_cldm_state_dict,
)
from gazefusion.models.ldm_keys import SCHEDULE_BUFFERS

MODULES = ("unet", "controlnet", "vae", "text_encoder")


@pytest.mark.parametrize("form", ["bare", "lightning", "safetensors", "fp16"])
def test_each_file_form_converts_to_the_directly_built_weights(tiny_cldm_files, tiny_components, form):
    state = load_cldm_state_dict(tiny_cldm_files[form])
    assert len(state) == 969
    stored = state["control_model.input_blocks.0.0.weight"].dtype  # float16 for the fp16 copy
    converted = components_from_cldm(state)
    for name in MODULES:
        direct, loaded = tiny_components[name].state_dict(), converted[name].state_dict()
        assert direct.keys() == loaded.keys(), name
        for key, value in direct.items():
            assert torch.equal(loaded[key], value.to(stored).to(loaded[key].dtype)), f"{name}.{key}"


def test_converted_components_give_identical_outputs(tiny_cldm_files, tiny_components):
    converted = components_from_cldm(load_cldm_state_dict(tiny_cldm_files["bare"]))
    g = torch.Generator().manual_seed(0)
    latents, hint = torch.randn(1, 4, 8, 8, generator=g), torch.rand(1, 3, 64, 64, generator=g)
    ids = tiny_components["tokenizer"](
        "a sailboat", padding="max_length", max_length=77, return_tensors="pt"
    ).input_ids

    def run(c):
        with torch.no_grad():
            context = c["text_encoder"](ids, output_hidden_states=True).last_hidden_state
            down, mid = c["controlnet"](latents, 981, context, controlnet_cond=hint, return_dict=False)
            eps = c["unet"](
                latents, 981, context, down_block_additional_residuals=down, mid_block_additional_residual=mid
            ).sample
            return eps, c["vae"].decode(latents).sample

    for a, b in zip(run(tiny_components), run(converted), strict=True):
        assert torch.equal(a, b)


def test_lightning_file_is_tagged_cuda_and_loads_on_cpu(tiny_cldm_files):
    path = tiny_cldm_files["lightning"]
    raw = torch.load(path, map_location="meta", weights_only=True)
    assert {"state_dict", "optimizer_states", "global_step", "epoch"} <= raw.keys()
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)
    state = load_cldm_state_dict(path)
    assert all(v.device.type == "cpu" for v in state.values())


@pytest.fixture(scope="module")
def converted_dir(tmp_path_factory, tiny_cldm_files):
    return cldm_to_diffusers(tiny_cldm_files["bare"], tmp_path_factory.mktemp("conv") / "tiny-diffusers")


def test_conversion_is_byte_identical_to_diffusers_own(tmp_path, tiny_cldm_files, converted_dir):
    config = tmp_path / "config"
    shutil.copytree(TINY_CONFIG_DIR, config)
    shutil.copytree(SD21_CONFIG_DIR / "tokenizer", config / "tokenizer")
    pipe = StableDiffusionControlNetPipeline.from_single_file(
        str(tiny_cldm_files["bare"]), config=str(config), local_files_only=True
    )
    pipe.save_pretrained(tmp_path / "reference", safe_serialization=True)
    reference = sorted(
        p.relative_to(tmp_path / "reference") for p in (tmp_path / "reference").rglob("*") if p.is_file()
    )
    ours = sorted(p.relative_to(converted_dir) for p in converted_dir.rglob("*") if p.is_file())
    assert [p for p in ours if p.name != EXTRAS_FILE] == reference
    for rel in reference:
        assert (converted_dir / rel).read_bytes() == (tmp_path / "reference" / rel).read_bytes(), str(rel)


def test_side_file_carries_exactly_the_27_keys_diffusers_drops(converted_dir):
    carried = set(load_file(converted_dir / EXTRAS_FILE))
    text = "cond_stage_model.model."
    expected = {*SCHEDULE_BUFFERS, text + "logit_scale", text + "text_projection"}
    expected |= {k for k in carried if k.startswith(text + "transformer.resblocks.23.")}
    assert carried == expected and len(carried) == 27


@pytest.mark.parametrize(
    ("form", "suffix"), [("bare", ".ckpt"), ("fp16", ".ckpt"), ("safetensors", ".safetensors")]
)
def test_cldm_diffusers_cldm_returns_every_key_byte_identical(tmp_path, tiny_cldm_files, form, suffix):
    original = load_cldm_state_dict(tiny_cldm_files[form])
    folder = cldm_to_diffusers(tiny_cldm_files[form], tmp_path / "d")
    back = load_cldm_state_dict(diffusers_to_cldm(folder, tmp_path / f"back{suffix}"))
    assert list(back) == list(original) or suffix == ".safetensors"  # safetensors files sort their keys
    assert back.keys() == original.keys()
    for key, value in original.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape, key
        assert back[key].reshape(-1).view(torch.uint8).equal(value.reshape(-1).view(torch.uint8)), key


def test_diffusers_cldm_diffusers_round_trips_every_tensor(
    tmp_path, tiny_model_dir, tiny_components, tiny_cldm
):
    ckpt = diffusers_to_cldm(tiny_model_dir, tmp_path / "tiny.ckpt")  # a diffusers folder without a side file
    state = load_cldm_state_dict(ckpt)
    for name in SCHEDULE_BUFFERS:  # recomputed as ldm computes them
        assert torch.equal(state[name], tiny_cldm[name]), name
    again = components_from_cldm(state)
    for name in MODULES:
        direct, loaded = tiny_components[name].state_dict(), again[name].state_dict()
        assert all(torch.equal(loaded[k], direct[k]) for k in direct), name


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(lambda p, f: p / "missing.ckpt", "no such file", id="missing"),
        pytest.param(lambda p, f: p, "found a directory", id="directory"),
        pytest.param(
            lambda p, f: _write(p / "cut.ckpt", f["bare"].read_bytes()[:50_000]),
            "truncated or corrupt",
            id="truncated-zip",
        ),
        pytest.param(
            lambda p, f: _write(p / "cut.safetensors", f["safetensors"].read_bytes()[:50_000]),
            "not a readable safetensors",
            id="truncated-safetensors",
        ),
        pytest.param(lambda p, f: _write(p / "empty.ckpt", b""), "truncated or corrupt", id="empty"),
        pytest.param(
            lambda p, f: _write(p / "text.ckpt", b"version https://git-lfs.github.com/spec/v1\n"),
            "not a PyTorch checkpoint",
            id="lfs-pointer",
        ),
        pytest.param(
            lambda p, f: _write(p / "code.ckpt", pickle.dumps({"x": shutil.rmtree}, protocol=2)),
            "refused",
            id="pickled-code",
        ),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, tiny_cldm_files, make, match):
    with pytest.raises(UserInputError, match=match) as info:
        load_cldm_state_dict(make(tmp_path, tiny_cldm_files))
    assert "\n" not in str(info.value)


def test_foreign_checkpoint_names_what_was_found(tmp_path):
    path = tmp_path / "sd21.ckpt"
    torch.save({"model.diffusion_model.out.2.weight": torch.zeros(1)}, path)
    with pytest.raises(
        UserInputError,
        match=r"not a ControlNet cldm checkpoint: no control_model\.\* keys; found 1 keys like model\.diffusion",
    ):
        load_cldm_state_dict(path)


class _WritesAFile:
    """Unpickling this calls ``Path.write_text(marker, "ran")``: code a malicious checkpoint would run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("form", ["zip", "legacy"], ids=["torch-zip", "legacy-pickle"])
def test_pickled_code_is_never_run(tmp_path, form):
    marker = tmp_path / "ran"
    payload = {
        "state_dict": {"control_model.zero_convs.0.0.weight": torch.zeros(1), "x": _WritesAFile(marker)}
    }
    path = tmp_path / "evil.ckpt"
    torch.save(payload, path, _use_new_zipfile_serialization=form == "zip")
    # the payload is live: a plain unpickling runs it
    torch.load(path, weights_only=False)
    assert marker.read_text() == "ran"
    marker.unlink()

    with pytest.raises(UserInputError, match="evil.ckpt"):
        load_cldm_state_dict(path)
    assert not marker.exists()


def test_diffusers_to_cldm_errors(tmp_path, converted_dir):
    with pytest.raises(UserInputError, match="expected a directory"):
        diffusers_to_cldm(tmp_path / "nothing", tmp_path / "x.ckpt")
    partial = tmp_path / "partial"
    shutil.copytree(converted_dir, partial, ignore=shutil.ignore_patterns("controlnet"))
    with pytest.raises(UserInputError, match="controlnet/ subfolder"):
        diffusers_to_cldm(partial, tmp_path / "x.ckpt")


def test_conversion_refuses_to_overwrite(tiny_cldm_files, converted_dir):
    with pytest.raises(UserInputError, match="out_dir"):
        cldm_to_diffusers(tiny_cldm_files["bare"], converted_dir)


def test_checkpoint_of_unknown_width_is_refused(tiny_cldm):
    from gazefusion.models.cldm import config_dir_for

    assert config_dir_for(tiny_cldm) == TINY_CONFIG_DIR
    odd = dict(tiny_cldm)
    odd["model.diffusion_model.input_blocks.0.0.weight"] = torch.zeros(48, 4, 3, 3)
    with pytest.raises(UserInputError, match="UNet width 48 and text width 32 match no shipped config"):
        config_dir_for(odd)


def test_legacy_non_zip_torch_file_loads(tmp_path, tiny_cldm):
    path = tmp_path / "legacy.ckpt"
    torch.save({"state_dict": tiny_cldm}, path, _use_new_zipfile_serialization=False)
    state = load_cldm_state_dict(path)
    assert list(state) == list(tiny_cldm) and all(torch.equal(state[k], tiny_cldm[k]) for k in tiny_cldm)
