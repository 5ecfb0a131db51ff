"""Training options the loop must honour, seen from inside its steps: bf16, gradient checkpointing, prompt dropout.

Each run records, at every call of ``training_loss``, what the loop hands it (module dtypes, the
autocast state, checkpointing flags, the token ids that reach the text encoder) and counts the
forward passes of one ControlNet resnet over the run (checkpointing recomputes them in backward).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from accelerate.state import AcceleratorState
from safetensors.torch import load_file

import gazefusion.training.step as step
from gazefusion.training.config import parse_args
from gazefusion.training.loop import train

STEPS = 2


def _dtype(module) -> torch.dtype:
    return next(module.parameters()).dtype


@pytest.fixture
def recorded_train(monkeypatch, train_args):
    """``recorded_train(out, *extra) -> (TrainResult, calls, resnet_forwards)`` for a 2-step run.

    ``resnet_forwards`` holds, per forward pass of one ControlNet resnet, the CPU autocast dtype (or False).
    """
    real = step.training_loss

    def run(out, *extra):
        calls, forwards, hooked = [], [], []

        def count(module, args):  # one ControlNet resnet, per forward: a pre-hook (recomputation stops early)
            forwards.append(torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu"))

        def recording(models, batch, generator, **kwargs):
            net = getattr(models.controlnet, "module", models.controlnet)
            unet = getattr(models.unet, "module", models.unet)
            if not hooked:
                hooked.append(net.down_blocks[0].resnets[0].register_forward_pre_hook(count))
            encoder_inputs = []

            def text_encoder(ids, **kw):
                encoder_inputs.append(ids.clone())
                return models.text_encoder(ids, **kw)

            loss = real(dataclasses.replace(models, text_encoder=text_encoder), batch, generator, **kwargs)
            calls.append(
                {
                    "weight_dtype": kwargs["weight_dtype"],
                    "vae": _dtype(models.vae),
                    "text_encoder": _dtype(models.text_encoder),
                    "unet": _dtype(unet),
                    "controlnet": _dtype(net),
                    "checkpointing": (net.is_gradient_checkpointing, unet.is_gradient_checkpointing),
                    "input_ids": encoder_inputs[0],
                    "batch_ids": batch["input_ids"].clone(),
                }
            )
            return loss

        monkeypatch.setattr(step, "training_loss", recording)
        AcceleratorState._reset_state(
            reset_partial_state=True
        )  # a process-wide singleton: fixes the precision
        result = train(
            parse_args(
                train_args(
                    out,
                    "--max-train-steps",
                    STEPS,
                    "--learning-rate",
                    1e-3,
                    "--checkpointing-steps",
                    STEPS,
                    *extra,
                )
            )
        )
        monkeypatch.setattr(step, "training_loss", real)
        AcceleratorState._reset_state(reset_partial_state=True)  # later runs in this process start afresh
        for handle in hooked:
            handle.remove()
        return result, calls, forwards

    return run


def _checkpoint(out):
    return load_file(out / f"checkpoint-{STEPS}" / "controlnet" / "diffusion_pytorch_model.safetensors")


def test_bf16_runs_frozen_modules_in_bf16_and_trains_fp32_weights(tmp_path, recorded_train):
    full, calls32, autocast32 = recorded_train(tmp_path / "fp32")
    half, calls16, autocast16 = recorded_train(tmp_path / "bf16", "--mixed-precision", "bf16")
    assert len(calls16) == STEPS
    for call in calls16:
        assert call["weight_dtype"] == call["vae"] == call["text_encoder"] == call["unet"] == torch.bfloat16
        assert call["controlnet"] == torch.float32  # trained weights stay fp32, as diffusers' example
    for call in calls32:
        assert call["vae"] == call["unet"] == call["controlnet"] == torch.float32
    # the prepared ControlNet runs under bf16 autocast (accelerate wraps its forward), fp32 without
    assert autocast16 == [torch.bfloat16] * STEPS and autocast32 == [False] * STEPS
    assert all(v.dtype == torch.float32 for v in _checkpoint(tmp_path / "bf16").values())
    # bf16 (8-bit mantissa) changes the losses a little, not a lot
    a, b = np.array(full.losses), np.array(half.losses)
    assert np.all(np.isfinite(b)) and not np.array_equal(a, b)
    np.testing.assert_allclose(b, a, rtol=0.05)


def test_gradient_checkpointing_recomputes_and_gives_the_same_updates(tmp_path, recorded_train):
    plain, calls, forwards = recorded_train(tmp_path / "plain")
    ckpt, calls_gc, forwards_gc = recorded_train(tmp_path / "gc", "--gradient-checkpointing")
    assert all(c["checkpointing"] == (False, False) for c in calls)
    assert all(c["checkpointing"] == (True, True) for c in calls_gc)
    assert (
        len(forwards) == STEPS and len(forwards_gc) == 2 * STEPS
    )  # each checkpointed forward runs again in backward
    np.testing.assert_allclose(ckpt.losses, plain.losses, rtol=1e-6)
    a, b = _checkpoint(tmp_path / "plain"), _checkpoint(tmp_path / "gc")
    for key, value in a.items():
        torch.testing.assert_close(b[key], value, rtol=0, atol=1e-6)


def test_empty_prompt_dropout_reaches_the_text_encoder(tmp_path, recorded_train):
    from gazefusion.models.tokenizer import build_tokenizer

    empty = step.tokenize(build_tokenizer(), [""])[0]
    _, kept, _ = recorded_train(tmp_path / "keep")
    _, dropped, _ = recorded_train(tmp_path / "drop", "--proportion-empty-prompts", 1.0)
    for call in kept:
        assert torch.equal(call["input_ids"], call["batch_ids"])
        assert not (call["input_ids"] == empty).all(dim=1).any()
    for call in dropped:
        assert torch.equal(call["input_ids"], empty.expand_as(call["batch_ids"]))
