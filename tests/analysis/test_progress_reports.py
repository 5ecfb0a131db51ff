"""The analysis and study producers keep the progress protocol (gazefusion.progress)."""

from __future__ import annotations

import shutil

from testsupport import ProgressLog, check_progress


def test_study_report_reports_both_scoring_levels(tiny_study, tmp_path):
    from analysis.study_report import write_study_report

    log = ProgressLog()
    write_study_report(tiny_study, tmp_path / "report", metrics=("cc", "nss"), mixed=False, progress=log)
    assert log.tasks == ["scoring (participant)", "scoring (pooled)"]
    assert log.of("scoring (participant)") == [(k, 9) for k in range(10)]  # 3 stimuli x 3 participants
    assert log.of("scoring (pooled)") == [(k, 3) for k in range(4)]  # 3 stimuli
    check_progress(log)


def test_power_curve_reports_every_simulated_study():
    from analysis.power import PowerSetup, power_curve

    log = ProgressLog()
    power_curve([0.0, 1.0], [1, 2], [3], sims=2, setup=PowerSetup(map_size=16), progress=log)
    assert log.reports == [("simulating studies", k, 4) for k in range(5)]


def test_simulated_participants_count_the_finished_ones(tiny_study, tmp_path):
    from study.config import StudyConfig
    from study.simulate import simulate_participants

    folder = tiny_study.parent
    db = tmp_path / "tiny.sqlite"
    shutil.copy(folder / "data" / "tiny.sqlite", db)
    log = ProgressLog()
    ran = simulate_participants(
        StudyConfig.from_file(folder / "study.toml"), db, ["p01", "p02", "p03", "p04"], progress=log
    )
    assert len(ran) == 1  # p01-p03 were complete
    assert log.reports == [("simulating", k, 4) for k in range(5)]
