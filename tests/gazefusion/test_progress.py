"""The progress protocol: its helpers, the CLI's rich adapter, and producers keeping the protocol."""

from __future__ import annotations

import numpy as np
import pytest
from testsupport import ProgressLog, check_progress

from gazefusion.progress import NO_PROGRESS, part_of, stage, tracked


def test_tracked_reports_the_start_and_each_finished_item():
    log = ProgressLog()
    assert list(tracked(["a", "b", "c"], log, "letters")) == ["a", "b", "c"]
    assert log.reports == [("letters", k, 3) for k in range(4)]
    check_progress(log)


def test_tracked_counts_earlier_units_and_may_not_know_the_total():
    log = ProgressLog()
    list(tracked(range(7, 10), log, "updates", total=10, start=7))
    assert log.of("updates") == [(7, 10), (8, 10), (9, 10), (10, 10)]
    unknown = ProgressLog()
    list(tracked(iter("xy"), unknown, "stream"))
    assert unknown.of("stream") == [(0, None), (1, None), (2, None)]


def test_tracked_left_early_does_not_report_the_end():
    log = ProgressLog()
    for item in tracked(range(5), log, "loop"):
        if item == 1:
            break
    assert log.of("loop") == [(0, 5), (1, 5)]


def test_part_of_shifts_the_part_into_the_whole_and_drops_the_rest():
    log = ProgressLog()
    part = part_of(log, "denoising", 6, 12)
    for report in [("images", 0, 2), ("denoising", 0, 6), ("denoising", 1, 6), ("denoising", 6, 6)]:
        part(*report)
    assert log.reports == [("denoising", 7, 12), ("denoising", 12, 12)]
    assert part_of(NO_PROGRESS, "denoising", 0, 1) is NO_PROGRESS


def test_stage_is_one_unit_finished_only_without_an_error():
    log = ProgressLog()
    with stage(log, "reading"):
        pass
    with pytest.raises(RuntimeError), stage(log, "writing"):
        raise RuntimeError("disk full")
    assert log.reports == [("reading", 0, 1), ("reading", 1, 1), ("writing", 0, 1)]


def test_no_progress_takes_every_report():
    assert NO_PROGRESS("anything", 3, None) is None
    assert list(tracked(range(3), NO_PROGRESS, "quiet")) == [0, 1, 2]


def _bar_lines(text: str, task: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(task + " ")]


def test_rich_adapter_draws_one_bar_per_task_on_stderr(capsys):
    from gazefusion.cli._common import RichProgress

    with RichProgress() as progress:
        for k in range(4):
            progress("crop", k, 3 if k < 4 else None)
        progress("saliency", 0, 2)
        progress("saliency", 2, 2)
        progress("caption", 0, None)
    captured = capsys.readouterr()
    assert captured.out == ""
    crop, saliency, caption = (_bar_lines(captured.err, t) for t in ("crop", "saliency", "caption"))
    assert len(crop) == len(saliency) == len(caption) == 1, captured.err
    assert "3/3" in crop[0] and "2/2" in saliency[0] and "0/?" in caption[0]
    assert "eta" in crop[0] and "0:00:00" in crop[0]  # elapsed and ETA columns


def test_rich_adapter_draws_nothing_before_a_report_and_a_new_bar_for_a_rerun(capsys):
    from gazefusion.cli._common import RichProgress

    with RichProgress():
        pass
    assert capsys.readouterr().err == ""
    with RichProgress() as progress:
        for run in range(2):
            for k in range(3):
                progress("images", k, 2 + run)
    bars = _bar_lines(capsys.readouterr().err, "images")
    assert len(bars) == 2 and "2/2" in bars[0] and "2/3" in bars[1]


def test_the_apps_gradio_adapter_shows_the_latest_report():
    pytest.importorskip("gradio")
    from gazefusion.app.ui import GradioProgress

    calls = []
    progress = GradioProgress(lambda value, desc: calls.append((value, desc)))
    progress("loading the model", 0, None)
    for k in (0, 3):
        progress("denoising", k, 8)
    progress("stream", 2, None)
    assert calls == [
        (0.0, "loading the model"),
        ((0, 8), "denoising"),
        ((3, 8), "denoising"),
        ((2, None), "stream"),
    ]


def test_a_resumed_toy_stage_reports_from_its_checkpoint(tmp_path):
    import torch

    from gazefusion.toy.trainer import Stage, run_stage

    def make():
        torch.manual_seed(0)
        net = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1.0)
        return net, Stage(
            "autoencoder", tmp_path, {"net": net}, opt, sched, total_steps=5, checkpoint_every=2
        )

    def update_of(net, stop_at=None):
        def update(k):
            if k == stop_at:
                raise KeyboardInterrupt
            return net(torch.ones(1, 2)).pow(2).sum()

        return update

    first = ProgressLog()
    net, stage_ = make()
    with pytest.raises(KeyboardInterrupt):
        run_stage(stage_, update_of(net, stop_at=3), list(net.parameters()), progress=first)
    assert first.of("autoencoder") == [(0, 5), (1, 5), (2, 5), (3, 5)]
    resumed = ProgressLog()
    net, stage_ = make()
    run_stage(stage_, update_of(net), list(net.parameters()), progress=resumed)
    assert resumed.of("autoencoder") == [(2, 5), (3, 5), (4, 5), (5, 5)]  # the checkpoint was at update 2
    check_progress(resumed)


def test_the_pipeline_reports_images_and_denoising_steps_per_batch(pipe):
    log = ProgressLog()
    smap = np.full((32, 32), 0.5, np.float32)
    out = pipe(["a boat", "an apple", "a cat"], smap, seed=[1], steps=2, batch_size=2, progress=log)
    assert len(out.images) == 3
    assert log.tasks == ["images", "denoising"]
    assert log.of("images") == [(0, 3), (2, 3), (3, 3)]  # batches of 2 and 1
    assert log.of("denoising") == [(k, 4) for k in range(5)]  # 2 batches x 2 steps
    check_progress(log)


def test_convert_shows_one_finished_bar_per_conversion_stage(tmp_path, capsys):
    from gazefusion.cli import main
    from gazefusion.models.tiny import save_tiny_cldm

    ckpt = save_tiny_cldm(tmp_path / "tiny.ckpt", seed=0)
    with pytest.raises(SystemExit) as info:
        main(["convert", str(ckpt), str(tmp_path / "out")])
    assert info.value.code in (0, None)
    err = capsys.readouterr().err
    for task in ("reading checkpoint", "converting with diffusers", "writing diffusers folder"):
        bars = _bar_lines(err, task)
        assert len(bars) == 1 and "1/1" in bars[0], err


def test_prepare_reports_its_three_stages_and_nothing_to_do_on_a_rerun(tmp_path):
    from PIL import Image

    from gazefusion.data.prepare import PrepareConfig, prepare_dataset

    raw = tmp_path / "raw"
    raw.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)).save(raw / f"img{i}.png")
        rows.append(f"img{i}.png,picture {i}")
    captions = tmp_path / "captions.csv"
    captions.write_text("file,caption\n" + "\n".join(rows) + "\n")
    cfg = PrepareConfig(
        raw_dir=raw,
        out_dir=tmp_path / "ds",
        captions=captions,
        resolution=32,
        saliency_model="centre-bias",
        saliency_batch_size=4,
    )
    log = ProgressLog()
    report = prepare_dataset(cfg, progress=log)
    assert log.tasks == ["crop", "saliency", "caption"]
    assert log.of("crop") == [(k, 3) for k in range(4)]  # raw images
    n_batches = -(-report.new_smaps // 4)
    assert log.of("saliency")[-1] == (n_batches, n_batches)  # batches of crops
    check_progress(log)
    again = ProgressLog()
    prepare_dataset(cfg, progress=again)
    assert again.reports == [("crop", 0, 0)]  # every stage already done
