"""`gazefusion toy build`: the whole recipe at a smoke budget, resumable after kill -9, loadable everywhere."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from typer.testing import CliRunner

from gazefusion.cli import app

pytestmark = pytest.mark.slow


def _build(out, work, *extra):
    return CliRunner().invoke(
        app,
        ["toy", "build", "-o", str(out), "--work", str(work), "--preset", "smoke", "--no-evaluate", *extra],
    )


@pytest.fixture(scope="module")
def smoke_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    result = _build(root / "model", root / "work")
    assert result.exit_code == 0, result.output
    return root


def test_every_stage_runs_and_the_model_loads_everywhere(smoke_model, tmp_path):
    from gazefusion.models.loading import load_components
    from gazefusion.pipeline import GazeFusionPipeline

    model = smoke_model / "model"
    times = json.loads((smoke_model / "work" / "stage_times.json").read_text())
    assert set(times) == {"scenes", "data", "vae", "latents", "base", "controlnet", "export", "ship"}
    components, description = load_components(model)
    assert description["source"] == "diffusers"
    assert components["vae"].config.scaling_factor != 0.18215  # measured on the latents, not SD's
    pipe = GazeFusionPipeline.from_pretrained(model)
    out = pipe("a red disc on a green background", "blob_left", seed=[0], steps=2, height=64, width=64)
    assert out.images[0].shape == (64, 64, 3)
    # the ControlNet was trained by gazefusion train (its run config is next to the checkpoints)
    run = json.loads((smoke_model / "work" / "controlnet" / "train_config.json").read_text())
    assert run["max_train_steps"] == 3 and run["model"].endswith("base/model")
    # cldm export and back
    runner = CliRunner()
    result = runner.invoke(app, ["convert", "--to-cldm", str(model), str(tmp_path / "toy.ckpt")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["convert", str(tmp_path / "toy.ckpt"), str(tmp_path / "back"), "--config", str(model)]
    )
    assert result.exit_code == 0, result.output
    for name in ("unet", "controlnet", "vae"):
        a = load_components(model)[0][name].state_dict()
        b = load_components(tmp_path / "back")[0][name].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name


def test_rerun_skips_finished_stages_and_refuses_another_recipe(smoke_model):
    result = _build(smoke_model / "model", smoke_model / "work")
    assert result.exit_code == 0 and "controlnet: done" in result.output
    result = _build(smoke_model / "model", smoke_model / "work", "--preset", "full")
    assert result.exit_code != 0
    assert "another recipe" in str(result.exception) or "another recipe" in result.output


def test_killed_build_resumes_from_the_last_checkpoint(tmp_path):
    work, out = tmp_path / "work", tmp_path / "model"
    cmd = [
        sys.executable,
        "-m",
        "gazefusion",
        "toy",
        "build",
        "-o",
        str(out),
        "--work",
        str(work),
        "--preset",
        "smoke",
        "--no-evaluate",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not (work / "base" / "checkpoint.pt").exists():  # killed inside the base-model stage
        assert proc.poll() is None and time.time() < deadline, "build ended before the base stage checkpoint"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (work / "base" / ".done").exists()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "vae: done" in done.stdout and (out / "model_index.json").is_file()


def test_a_resumed_stage_repeats_the_updates_of_an_uninterrupted_one(tmp_path):
    from gazefusion.toy.trainer import Stage, run_stage

    def make(folder):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 2)
        opt = torch.optim.AdamW(net.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / (1 + k))
        return net, Stage("s", folder, {"net": net}, opt, sched, total_steps=6, checkpoint_every=2)

    def update_for(net):
        def update(k):
            g = torch.Generator().manual_seed(k)
            x = torch.randn(4, 3, generator=g)
            return net(x).pow(2).mean()

        return update

    net, stage = make(tmp_path / "straight")
    straight = run_stage(stage, update_for(net), list(net.parameters()))

    net2, stage2 = make(tmp_path / "resumed")
    calls = {"n": 0}

    def crash_after_four(k):
        calls["n"] += 1
        if k == 4:
            raise KeyboardInterrupt
        return update_for(net2)(k)

    with pytest.raises(KeyboardInterrupt):
        run_stage(stage2, crash_after_four, list(net2.parameters()))
    net3, stage3 = make(tmp_path / "resumed")  # a new process: fresh modules, state from the checkpoint
    resumed = run_stage(stage3, update_for(net3), list(net3.parameters()))
    assert stage3.step == 6 and resumed == straight
    assert torch.equal(net3.weight, net.weight) and torch.equal(net3.bias, net.bias)


def test_bad_options_are_one_line_errors(tmp_path):
    runner = CliRunner()
    for args, needle in (
        (["--preset", "huge"], "--preset"),
        (["--until", "nothing"], "--until"),
        (["--threads", "0"], "--threads"),
    ):
        result = runner.invoke(app, ["toy", "build", "-o", str(tmp_path / "m"), *args])
        assert result.exit_code != 0
        assert needle in str(result.exception) + result.output
