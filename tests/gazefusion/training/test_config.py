"""TrainConfig: defaults of the original train.py, parsing, validation."""

import pytest

from gazefusion.errors import UserInputError
from gazefusion.training.config import TrainConfig, parse_args


def test_defaults_reproduce_original_train_py():
    cfg = parse_args([])
    # NYU-ICL/saliency-guided-image-generation train.py + cldm configure_optimizers (torch AdamW defaults)
    assert (cfg.learning_rate, cfg.train_batch_size, cfg.max_train_steps) == (1e-5, 16, 500_000)
    assert (cfg.checkpointing_steps, cfg.checkpoints_total_limit, cfg.validation_steps) == (5000, 1, 1000)
    assert (cfg.adam_beta1, cfg.adam_beta2, cfg.adam_weight_decay, cfg.adam_epsilon) == (
        0.9,
        0.999,
        0.01,
        1e-8,
    )
    assert cfg.lr_scheduler == "constant" and cfg.lr_warmup_steps == 0
    assert cfg.mixed_precision == "no" and cfg.max_grad_norm is None
    assert not cfg.unlock_sd and not cfg.mid_control and cfg.proportion_empty_prompts == 0.0
    assert cfg.resolution == 512 and cfg.seed == 123
    assert cfg == TrainConfig()


def test_parse_flags_lists_and_none():
    cfg = parse_args(
        [
            "--unlock-sd",
            "--no-export",
            "--max-grad-norm",
            "1.0",
            "--checkpoints-total-limit",
            "none",
            "--validation-smap",
            "a.png",
            "b.png",
            "--validation-prompt",
            "p",
        ]
    )
    assert (
        cfg.unlock_sd and not cfg.export and cfg.max_grad_norm == 1.0 and cfg.checkpoints_total_limit is None
    )
    assert cfg.validation_smap == ("a.png", "b.png") and cfg.validation_prompt == ("p",)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        pytest.param(["--resolution", "500"], "--resolution", id="resolution"),
        pytest.param(["--proportion-empty-prompts", "1.5"], "--proportion-empty-prompts", id="dropout"),
        pytest.param(["--mixed-precision", "fp8"], "--mixed-precision", id="precision"),
        pytest.param(["--train-batch-size", "0"], "--train-batch-size", id="batch"),
        pytest.param(
            ["--validation-smap", "a", "b", "--validation-prompt", "x", "y", "z"],
            "--validation-prompt",
            id="validation-pairs",
        ),
    ],
)
def test_bad_values_are_user_errors(argv, match):
    with pytest.raises(UserInputError, match=match):
        parse_args(argv)


def test_8bit_adam_without_bitsandbytes_is_clear(monkeypatch):
    import builtins

    from gazefusion.training.loop import _optimizer

    real_import = builtins.__import__

    def no_bnb(name, *args, **kwargs):
        if name == "bitsandbytes":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_bnb)
    with pytest.raises(UserInputError, match="bitsandbytes"):
        _optimizer(parse_args(["--use-8bit-adam"]), [])
