"""The benchmark runner reports its work items, those of an earlier run counted as done."""

from testsupport import ProgressLog, check_progress

from .conftest import SmapAsImage
from .test_runner import run, setup


def test_a_resumed_shard_reports_from_the_items_already_finished(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage(), metrics=("cc",))
    first = ProgressLog()
    summary = run(config, out, arrays, SmapAsImage(), limit=2, progress=first)
    assert first.tasks == ["bench"] and first.of("bench") == [(0, 2), (1, 2), (2, 2)]
    resumed = ProgressLog()
    summary = run(config, out, arrays, SmapAsImage(), progress=resumed)
    planned = summary.planned
    assert resumed.of("bench") == [(k, planned) for k in range(2, planned + 1)]
    check_progress(resumed)
    sharded = ProgressLog()
    share = run(config, out, arrays, SmapAsImage(), rank=1, world=2, progress=sharded).planned
    assert sharded.reports == [("bench [2/2]", share, share)]  # all done before
