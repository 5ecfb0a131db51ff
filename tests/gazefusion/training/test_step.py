"""``training_loss`` against a hand computation on the tiny model.

The noisy latents are built here from the published DDPM forward process, x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε,
with ᾱ_t computed from the model's beta schedule (SD's ``scaled_linear``: β = linspace(√β_0, √β_T, T)²),
and the target is ε (ε-prediction) or v = √ᾱ_t ε - √(1-ᾱ_t) x_0 (v-prediction, Salimans & Ho 2022).
The loss's random draws come, in this order, from the generator passed in: the VAE latent sample, the
noise, the timesteps (then the prompt dropout) — the exact-resume contract of the training loop.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from gazefusion.training.model import load_training_models
from gazefusion.training.step import StepModels, tokenize, training_loss

BSZ = 4
PROMPTS = ["a red blob", "a green square", "two boats", "a dog on the grass"]


class Recorder:
    """Calls ``module`` and keeps the positional arguments, keyword arguments and output of each call."""

    def __init__(self, module) -> None:
        self.module, self.calls = module, []

    def __call__(self, *args, **kwargs):
        out = self.module(*args, **kwargs)
        self.calls.append((args, kwargs, out))
        return out

    def __getattr__(self, name):
        return getattr(self.module, name)


@pytest.fixture(scope="module")
def training_models(tiny_model_dir):
    return load_training_models(str(tiny_model_dir), None)


def _batch(models, bsz: int = BSZ) -> dict:
    gen = torch.Generator().manual_seed(7)
    return {
        "pixel_values": torch.rand((bsz, 3, 32, 32), generator=gen) * 2 - 1,
        "conditioning_pixel_values": torch.rand((bsz, 3, 32, 32), generator=gen),
        "input_ids": tokenize(models.tokenizer, (PROMPTS * bsz)[:bsz]),
    }


def _step_models(models, scheduler=None) -> StepModels:
    return StepModels(
        models.vae,
        Recorder(models.text_encoder),
        Recorder(models.unet),
        Recorder(models.controlnet),
        scheduler or models.noise_scheduler,
    )


def alphas_cumprod_by_hand(config) -> np.ndarray:
    """ᾱ_t (float64) of a ``scaled_linear`` schedule, from the scheduler's config only."""
    assert config.beta_schedule == "scaled_linear" and config.trained_betas is None
    betas = np.linspace(config.beta_start**0.5, config.beta_end**0.5, config.num_train_timesteps) ** 2
    return np.cumprod(1.0 - betas)


def test_training_scheduler_is_the_models_forward_process(training_models):
    sched = training_models.noise_scheduler
    assert isinstance(sched, DDPMScheduler) and sched.config.num_train_timesteps == 1000
    abar = alphas_cumprod_by_hand(sched.config)
    np.testing.assert_allclose(sched.alphas_cumprod.double().numpy(), abar, rtol=1e-6)
    assert abar[0] == pytest.approx(1 - 0.00085) and abar[-1] == pytest.approx(0.0047, abs=2e-4)


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_equals_hand_computation(training_models, prediction_type, seed):
    sched = DDPMScheduler.from_config(training_models.noise_scheduler.config, prediction_type=prediction_type)
    models = _step_models(training_models, sched)
    batch = _batch(training_models)
    with torch.no_grad():
        loss = training_loss(models, batch, torch.Generator().manual_seed(seed), weight_dtype=torch.float32)

        # the same draws, by hand
        gen = torch.Generator().manual_seed(seed)
        x0 = training_models.vae.encode(batch["pixel_values"]).latent_dist.sample(generator=gen)
        x0 = x0 * training_models.vae.config.scaling_factor
        eps = torch.randn(x0.shape, generator=gen)
        t = torch.randint(0, 1000, (BSZ,), generator=gen)
    abar = torch.from_numpy(alphas_cumprod_by_hand(sched.config))[t].view(-1, 1, 1, 1)
    x0, eps = x0.double(), eps.double()
    noisy = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    target = eps if prediction_type == "epsilon" else abar.sqrt() * eps - (1 - abar).sqrt() * x0

    ((c_args, c_kwargs, _),) = models.controlnet.calls
    ((u_args, u_kwargs, u_out),) = models.unet.calls
    for args in (c_args, u_args):
        torch.testing.assert_close(args[0].double(), noisy, rtol=0, atol=1e-5)
        assert torch.equal(args[1].cpu(), t)
    torch.testing.assert_close(c_kwargs["controlnet_cond"], batch["conditioning_pixel_values"])
    # the loss is the MSE between the UNet's prediction and the target, over all latent elements
    pred = u_out[0].double()
    assert float(loss) == pytest.approx(float(((pred - target) ** 2).mean()), rel=1e-5)
    # ... and not the MSE against the other target (the two differ at these timesteps)
    other = abar.sqrt() * eps - (1 - abar).sqrt() * x0 if prediction_type == "epsilon" else eps
    assert abs(float(((pred - other) ** 2).mean()) - float(loss)) > 1e-3


def test_prompt_dropout_replaces_whole_prompts_by_the_empty_prompt(training_models):
    empty = tokenize(training_models.tokenizer, [""])[0]
    batch = _batch(training_models, 8)
    ids = batch["input_ids"]

    def text_inputs(p: float, seed: int) -> torch.Tensor:
        models = _step_models(training_models)
        with torch.no_grad():
            training_loss(
                models,
                batch,
                torch.Generator().manual_seed(seed),
                weight_dtype=torch.float32,
                empty_prompt_ids=empty,
                proportion_empty_prompts=p,
            )
        ((args, _, _),) = models.text_encoder.calls
        return args[0]

    assert torch.equal(text_inputs(0.0, 0), ids)
    assert torch.equal(text_inputs(1.0, 0), empty.expand_as(ids))
    dropped = []
    for seed in range(12):
        seen = text_inputs(0.5, seed)
        is_empty = (seen == empty).all(dim=1)
        # every row is either its own prompt or the empty prompt, nothing in between
        assert torch.equal(seen[~is_empty], ids[~is_empty])
        dropped += is_empty.tolist()
    # 96 Bernoulli(0.5) draws: 48 ± 4.9; outside [30, 66] has probability < 3e-4
    assert 30 <= sum(dropped) <= 66
