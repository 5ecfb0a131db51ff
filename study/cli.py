"""`gazefusion study`: run, check, simulate and export eye-tracked studies (see docs/study.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, print_ok, print_warning
from gazefusion.errors import UserInputError

study_app = typer.Typer(help="Eye-tracked user study: run, check, simulate, export.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``gazefusion study ...`` to ``app``."""
    app.add_typer(study_app, name="study")


def _load(config: Path, tracker: str | None = None):
    from study.config import StudyConfig
    from study.trackers import check_tracker_name

    cfg = StudyConfig.from_file(config)
    if tracker:
        # the config's settings belong to its own tracker: another one starts from its defaults
        settings = cfg.tracker.settings if tracker == cfg.tracker.name else {}
        cfg = cfg.replace(tracker=cfg.tracker.replace(name=tracker, settings=settings))
    check_tracker_name(cfg.tracker.name)
    return cfg


def _default_db(config: Path, cfg) -> Path:
    import re

    name = re.sub(r"[^A-Za-z0-9_.-]", "_", cfg.name) or "study"
    return config.resolve().parent / "data" / f"{name}.sqlite"


@study_app.command("check")
def check(
    config: Path = typer.Argument(..., help="Study config (.toml or .yaml)."),
    participant: str = typer.Option("01", "--participant", "-p", help="Show this participant's trial list."),
    session: str = typer.Option("1", "--session", "-s", help="Session ID."),
) -> None:
    """Validate a study config; print the trial list and the expected duration."""
    from rich.table import Table

    from study.design import expected_duration_s, plan_trials
    from study.stimuli import check_stimuli

    cfg = _load(config)
    warnings = check_stimuli(cfg)
    plan = plan_trials(cfg, participant, session)
    g = cfg.display
    table = Table(title=f"{cfg.name}: participant {participant}, session {session}")
    for col in ("#", "stimulus", "condition", "item", "practice", "drift check", "break after"):
        table.add_column(col)
    for p in plan:
        table.add_row(
            str(p.index),
            p.stimulus_id,
            p.condition,
            p.item,
            "yes" if p.practice else "",
            "yes" if p.drift_check else "",
            "yes" if p.break_after else "",
        )
    console.print(table)
    minutes = expected_duration_s(cfg, plan) / 60
    console.print(
        f"display {g.width_px}x{g.height_px} px, {g.width_cm} cm at {g.distance_cm} cm "
        f"({g.px_per_deg:.1f} px/deg, {g.size_deg[0]:.1f}x{g.size_deg[1]:.1f} deg), {g.refresh_hz:g} Hz"
    )
    console.print(
        f"tracker {cfg.tracker.name} at {cfg.tracker.sampling_rate_hz:g} Hz; "
        f"{cfg.calibration.points}-point calibration, threshold {cfg.calibration.threshold_deg} deg"
    )
    console.print(
        f"{len(plan)} trials ({sum(p.practice for p in plan)} practice); expected duration "
        f"{minutes:.1f} min (self-paced parts estimated)"
    )
    for w in warnings:
        print_warning(w)
    print_ok("config OK")


@study_app.command("run")
def run(
    config: Path = typer.Argument(..., help="Study config (.toml or .yaml)."),
    participant: str | None = typer.Option(
        None, "--participant", "-p", help="Participant ID (a dialog asks when interactive)."
    ),
    session: str = typer.Option("1", "--session", "-s", help="Session ID."),
    resume: bool = typer.Option(False, "--resume", help="Continue at the first unfinished trial."),
    tracker: str | None = typer.Option(None, "--tracker", help="Override the config's tracker name."),
    fullscr: bool = typer.Option(True, "--fullscr/--windowed", help="Full screen or a window."),
    db: Path | None = typer.Option(
        None, "--db", help="SQLite file (default: <config dir>/data/<name>.sqlite)."
    ),
    screenshot: Path | None = typer.Option(
        None, "--screenshot", help="Save the first main stimulus screen to this image file."
    ),
) -> None:
    """Run one participant's session in a PsychoPy window (Escape pauses: C continue, Q quit)."""
    from study.display import PsychoPyDisplay
    from study.session import Session
    from study.stimuli import check_stimuli
    from study.storage import StudyStore
    from study.trackers import get_tracker

    cfg = _load(config, tracker)
    check_stimuli(cfg)
    if participant is None:
        participant, session = _ask_ids(session)
    db = db or _default_db(config, cfg)
    trk = get_tracker(cfg.tracker.name, cfg.tracker.sampling_rate_hz, **cfg.tracker.settings)
    with StudyStore(db) as store:
        display = PsychoPyDisplay(cfg.display, fullscr=fullscr, background=cfg.trials.background)
        try:
            result = Session(
                cfg,
                store,
                display,
                trk,
                participant,
                session,
                resume=resume,
                log=lambda m: console.print(m, highlight=False),
                on_trial=lambda spec, rec: console.print(
                    f"trial {spec.index + 1} stored: {spec.stimulus_id}, {len(rec.samples)} samples, "
                    f"{rec.timing['n_dropped']} dropped frames",
                    highlight=False,
                ),
                screenshot=screenshot,
            ).run()
        finally:
            display.close()
    console.print(
        f"session {result.status}: {result.trials_complete}/{result.trials_total} trials stored in {db} "
        f"({result.n_samples} samples this run, {result.dropped_frames} dropped frames)"
    )


def _ask_ids(session: str) -> tuple[str, str]:
    if not sys.stdin.isatty():
        raise UserInputError("--participant is required when not running interactively")
    from psychopy import gui

    info = {"participant": "", "session": session}
    dlg = gui.DlgFromDict(info, title="gazefusion study", order=["participant", "session"])
    if not dlg.OK or not str(info["participant"]).strip():
        raise UserInputError("no participant ID entered")
    return str(info["participant"]).strip(), str(info["session"]).strip()


@study_app.command("simulate")
def simulate(
    config: Path = typer.Argument(..., help="Study config (.toml or .yaml)."),
    participants: int = typer.Option(..., "--participants", "-n", min=1, help="Number of observers."),
    db: Path | None = typer.Option(
        None, "--db", help="SQLite file (default: <config dir>/data/<name>.sqlite)."
    ),
    prefix: str = typer.Option("sim", "--prefix", help="Participant IDs are <prefix>01, <prefix>02, ..."),
) -> None:
    """Simulate sessions without a window (simulated observers who look at the stimulus images;
    same storage as `run`; resumable)."""
    from study.simulate import describe_observers, simulate_participants

    cfg = _load(config)
    db = db or _default_db(config, cfg)
    ids = [f"{prefix}{i:02d}" for i in range(1, participants + 1)]
    console.print(describe_observers(cfg))
    with RichProgress() as progress:
        results = simulate_participants(cfg, db, ids, progress=progress)
    n = sum(r.n_samples for r in results)
    console.print(f"{len(results)} simulated sessions in {db} ({n} new samples)")


@study_app.command("export")
def export(
    db: Path = typer.Argument(..., help="Study database (.sqlite)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (BIDS-like layout)."),
    complete_only: bool = typer.Option(False, "--complete-only", help="Skip unfinished sessions."),
) -> None:
    """Export samples, events and timing to a BIDS-eye-tracking-like folder (TSV + Parquet)."""
    from study.export import export_study

    written = export_study(db, out, include_incomplete=not complete_only)
    console.print(f"exported {len(written)} sessions to {out}")


@study_app.command("import")
def import_recordings(
    source: str = typer.Argument(..., help="Source format: eyelink-asc, tobii-tsv or iohub-hdf5."),
    files: list[Path] = typer.Argument(..., help="Recording files, one session each."),
    config: Path = typer.Option(
        ..., "--config", "-c", help="Study config (.toml or .yaml) of the recordings."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="SQLite file (default: <config dir>/data/<name>.sqlite)."
    ),
    participant: str | None = typer.Option(
        None, "--participant", "-p", help="Participant ID (one file only; default: each file's stem)."
    ),
    session: str = typer.Option("1", "--session", "-s", help="Session ID."),
) -> None:
    """Import recordings made elsewhere (EyeLink ASC, Tobii Pro Lab TSV, ioHub HDF5) into the
    study database the runner writes; each file is all or nothing, a file already imported is
    skipped (same sha256)."""
    from study.config import StudyConfig
    from study.importers import import_files

    cfg = StudyConfig.from_file(config)
    db = out or _default_db(config, cfg)
    results = import_files(
        source, files, cfg, db, participant, session, log=lambda m: console.print(m, highlight=False)
    )
    n = sum(r.status == "imported" for r in results)
    console.print(f"{n} of {len(results)} files imported into {db}", highlight=False)
