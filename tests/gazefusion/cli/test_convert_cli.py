"""`gazefusion convert`: both directions from the command line, one-line errors with exit status 2."""

import pytest
import torch
from typer.testing import CliRunner

from gazefusion.cli import app, main
from gazefusion.models.cldm import EXTRAS_FILE, load_cldm_state_dict
from gazefusion.models.tiny import save_tiny_cldm


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    return save_tiny_cldm(tmp_path_factory.mktemp("cli") / "tiny.ckpt", seed=0)


def test_convert_and_back(tmp_path, tiny_ckpt):
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(tiny_ckpt), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "controlnet" / "diffusion_pytorch_model.safetensors").is_file()
    assert (tmp_path / "out" / EXTRAS_FILE).is_file()
    result = runner.invoke(app, ["convert", "--to-cldm", str(tmp_path / "out"), str(tmp_path / "back.ckpt")])
    assert result.exit_code == 0, result.output
    original, back = load_cldm_state_dict(tiny_ckpt), load_cldm_state_dict(tmp_path / "back.ckpt")
    assert list(back) == list(original) and all(torch.equal(back[k], original[k]) for k in original)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["convert", "{tmp}/missing.ckpt", "{tmp}/out"], "found no", id="missing"),
        pytest.param(
            ["convert", "{tmp}/foreign.ckpt", "{tmp}/out"], "not a ControlNet cldm checkpoint", id="foreign"
        ),
        pytest.param(
            ["convert", "--to-cldm", "{tmp}/foreign.ckpt", "{tmp}/x.ckpt"],
            "expected a directory",
            id="to-cldm-file",
        ),
    ],
)
def test_errors_are_one_line_with_status_2(tmp_path, capsys, args, message):
    torch.save({"a": torch.zeros(1)}, tmp_path / "foreign.ckpt")
    with pytest.raises(SystemExit) as info:
        main([a.format(tmp=tmp_path) for a in args])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("error:") == 1
