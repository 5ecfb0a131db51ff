"""``gazefusion train`` under torchrun (2 CPU processes, gloo): sharded data, per-process noise, averaged gradients.

torchrun starts this file as a script in every process (see the bottom): it records, at each call of
``training_loss``, the batch, the generator's seed, the loss and the ControlNet weights the step
starts from, then runs the real CLI. The test then replays the run in one process by hand: the same
batches and seeds, the mean of the two processes' losses, PyTorch's AdamW — and must reach the
weights of the 2-process run's checkpoint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

WORLD = 2
STEPS = 2
LR = 1e-3
RECORD_ENV = "GAZEFUSION_TEST_RECORD_DIR"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (dist.is_available() and dist.is_gloo_available()),
        reason="torch.distributed with the gloo backend is not available in this torch build",
    ),
]


def _records(folder: Path, rank: int) -> list[dict]:
    files = sorted(folder.glob(f"rank{rank}-*.pt"), key=lambda p: int(p.stem.split("-")[1]))
    return [torch.load(f, weights_only=True) for f in files]


def test_two_process_training_averages_the_processes_gradients(
    tmp_path, torchrun, train_args, tiny_model_dir
):
    from safetensors.torch import load_file

    from gazefusion.training.model import load_training_models, set_trainable
    from gazefusion.training.step import StepModels, micro_step_seed, training_loss

    out, records = tmp_path / "run", tmp_path / "records"
    records.mkdir()
    # 4 examples, 1 per process and step: 2 steps are one epoch
    args = train_args(
        out,
        "--max-train-steps",
        STEPS,
        "--train-batch-size",
        1,
        "--checkpointing-steps",
        STEPS,
        "--learning-rate",
        LR,
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
        RECORD_ENV: str(records),
    }
    torchrun([__file__, "train", *args], env)

    calls = [_records(records, r) for r in range(WORLD)]
    assert [len(c) for c in calls] == [STEPS] * WORLD
    # the epoch's 4 examples were split between the processes, each seen once
    ids = [tuple(c["batch"]["input_ids"][0].tolist()) for rank in calls for c in rank]
    assert len(set(ids)) == 4
    # every micro-batch of every process draws its own noise: seed (seed, process, micro-batch)
    assert [[c["seed"] for c in rank] for rank in calls] == [
        [micro_step_seed(123, r, i) for i in range(STEPS)] for r in range(WORLD)
    ]
    # the processes start every step from the same weights, and the weights move
    for step in range(STEPS):
        a, b = calls[0][step]["state"], calls[1][step]["state"]
        assert all(torch.equal(a[k], b[k]) for k in a), f"processes out of sync at step {step}"
    assert any(not torch.equal(calls[0][0]["state"][k], v) for k, v in calls[0][1]["state"].items())

    # replay: one process, the mean of the two processes' losses, AdamW with the run's defaults
    models = load_training_models(str(tiny_model_dir), None)
    params = set_trainable(models, unlock_sd=False)
    models.controlnet.load_state_dict(calls[0][0]["state"])
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.999), weight_decay=1e-2, eps=1e-8)
    step_models = StepModels(
        models.vae, models.text_encoder, models.unet, models.controlnet, models.noise_scheduler
    )
    for step in range(STEPS):
        opt.zero_grad()
        for rank in range(WORLD):
            call = calls[rank][step]
            loss = training_loss(
                step_models,
                call["batch"],
                torch.Generator().manual_seed(call["seed"]),
                weight_dtype=torch.float32,
            )
            assert loss.item() == pytest.approx(call["loss"], rel=1e-4)
            (loss / WORLD).backward()
        opt.step()
        if step + 1 < STEPS:
            for key, value in models.controlnet.state_dict().items():
                torch.testing.assert_close(value, calls[0][step + 1]["state"][key], rtol=0, atol=LR * 1e-2)
    saved = load_file(out / f"checkpoint-{STEPS}" / "controlnet" / "diffusion_pytorch_model.safetensors")
    for key, value in models.controlnet.state_dict().items():
        torch.testing.assert_close(saved[key], value, rtol=0, atol=LR * 1e-2)


def record_steps_then_run(argv: list[str]) -> None:
    """Entry point of each torchrun process: record every training step's inputs, then run the CLI."""
    import gazefusion.training.step as step
    from gazefusion.cli import main

    folder, rank = Path(os.environ[RECORD_ENV]), int(os.environ.get("RANK", "0"))
    real, count = step.training_loss, [0]

    def recording(models, batch, generator, **kwargs):
        net = getattr(models.controlnet, "module", models.controlnet)
        state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        seed = generator.initial_seed()
        loss = real(models, batch, generator, **kwargs)
        record = {"seed": seed, "batch": batch, "loss": loss.item(), "state": state}
        torch.save(record, folder / f"rank{rank}-{count[0]}.pt")
        count[0] += 1
        return loss

    step.training_loss = recording
    main(argv)


if __name__ == "__main__":
    record_steps_then_run(sys.argv[1:])
