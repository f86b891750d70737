"""``skillpass assessment …``: the Skillsprint engine for analysts and test developers.

Build norms, calibrate the scenario items, simulate play, score event files into
profiles, and print the validation report. Every command that writes does so atomically:
a failed run leaves what was there before.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from assessment.errors import AssessmentInputError

assessment_app = typer.Typer(help="The Skillsprint assessment engine: norms, calibration, scoring, validation.",
                             no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=2)


@assessment_app.command()
def instruments(schema: str = typer.Option(None, help="Print the event schema of this instrument as JSON.")):
    """List the Skillsprint's instruments and scales, or one instrument's event schema."""
    from assessment.skillsprint import instrument as find, instruments as battery

    if schema:
        try:
            console.print_json(json.dumps(find(schema).describe()))
        except KeyError as exc:
            _fail(exc.args[0])
        return
    for inst in battery():
        console.print(f"[bold]{inst.id}[/bold] {inst.title_en} / {inst.title_nl} (v{inst.version}, {inst.n_trials} trials)")
        for scale in inst.scales:
            console.print(f"  {scale.id:<38} {scale.reliability:<11} {scale.meaning}")


@assessment_app.command()
def norms(n: int = typer.Option(20_000, min=500, help="Size of the simulated norm group."),
          seed: int = typer.Option(20261123, help="Seed of the norm group."),
          data_dir: Path = typer.Option(None, help="Data folder to write norms/ into (default: the project's data/).")):
    """Build the norm tables from a seeded, simulated norm group and write data/norms/."""
    from assessment.measurement import load_measurement_model
    from assessment.norm_group import build_and_save
    from passport.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    folder = build_and_save(taxonomy, load_measurement_model(taxonomy), n=n, seed=seed, root=data_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    console.print(f"norms {manifest['version']} written to {folder}")
    for scale, stats in manifest["scales"].items():
        console.print(f"  {scale:<38} reliability {stats['reliability']:.3f} ({stats['reliability_method']})")


@assessment_app.command()
def calibrate(responses: Path = typer.Option(None, exists=True, dir_okay=False,
                                             help="CSV of scenario answers: one row per session, one column per item "
                                                  "(scored 0-3, empty when not given)."),
              simulate: int = typer.Option(0, min=0, help="Calibrate on a simulated field trial of this many players."),
              seed: int = typer.Option(20261123, help="Seed of the simulated field trial."),
              out: Path = typer.Option(None, help="Where to write the parameters (default: data/assessment/sjt_parameters.csv).")):
    """Calibrate the scenario items' graded-response parameters by marginal maximum likelihood."""
    from assessment.calibration import DEFAULT_PARAMETERS_PATH, calibrate_sjt, simulate_field_trial
    from passport.files import write_text_atomically

    if (responses is None) == (simulate == 0):
        _fail("give either --responses FILE or --simulate N")
    if responses is not None:
        frame = pd.read_csv(responses)
        if "session_id" in frame.columns:
            frame = frame.set_index("session_id")
    else:
        frame = simulate_field_trial(simulate, seed)
    try:
        parameters = calibrate_sjt(frame)
    except (ValueError, AssessmentInputError) as exc:
        _fail(f"{responses or 'simulated field trial'}: {exc}")
    target = out or DEFAULT_PARAMETERS_PATH()
    source = f"responses {responses}" if responses else f"simulated field trial n={simulate} seed={seed}"
    write_text_atomically(target, f"# calibrated from {source}\n" + parameters.to_csv(index=False, float_format="%.4f"))
    console.print(f"{len(parameters)} items calibrated from {source}; written to {target}")


@assessment_app.command("simulate")
def simulate_play(n: int = typer.Option(1_000, min=1, help="Number of simulated players."),
                  seed: int = typer.Option(0), realistic: bool = typer.Option(
                      True, help="Include careless, unfinished and skipped play."),
                  out: Path = typer.Option(Path("skillsprint-events"), help="Folder for one event file per instrument.")):
    """Simulate Skillsprints of people drawn from the population; writes events and their true levels."""
    from assessment.skillsprint import (ATTENTIVE_PLAY, REALISTIC_PLAY, Engine, draw_population_levels,
                                        simulate_skillsprint)
    from service.cli import write_outputs_atomically

    engine = Engine.default()
    rng = np.random.default_rng(seed)
    levels = draw_population_levels(engine.taxonomy, engine.model, n, rng)
    ids = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 6)).astype(object)
    events = simulate_skillsprint(levels, rng, engine=engine, play=REALISTIC_PLAY if realistic else ATTENTIVE_PLAY,
                                  session_ids=ids)
    truth = pd.DataFrame(levels, columns=list(engine.taxonomy.skill_ids)).assign(session_id=ids)
    files = {f"{name}.csv": frame for name, frame in events.items()}
    files["true_levels.csv"] = truth[["session_id", *engine.taxonomy.skill_ids]]
    write_outputs_atomically(out, files, {"players": n, "seed": seed, "realistic": realistic,
                                          "events": {k: len(v) for k, v in events.items()}})
    console.print(f"{n:,} Skillsprints, {sum(len(v) for v in events.values()):,} events written to {out}")


def _read_events(folder: Path) -> dict[str, pd.DataFrame]:
    from assessment.skillsprint import BATTERY

    events = {}
    for name, _, _ in BATTERY:
        for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                try:
                    events[name] = reader(path)
                except (ValueError, OSError) as exc:
                    _fail(f"{path}: not a readable table ({exc})")
                break
    if not events:
        _fail(f"{folder}: no event files (expected e.g. gonogo.csv or sjt.parquet)")
    return events


@assessment_app.command()
def score(events: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder with one event file per instrument."),
          out: Path = typer.Option(Path("skillsprint-scores"), help="Output folder."),
          fmt: str = typer.Option("csv", "--format", help="csv or parquet.")):
    """Score event files into soft-skill profiles (level, SE, measured), scale scores and flags."""
    from assessment.skillsprint import Engine, score_skillsprint
    from service.cli import write_outputs_atomically

    if fmt not in ("csv", "parquet"):
        _fail(f"--format: expected csv or parquet, got {fmt!r}")
    engine = Engine.default()
    frames = _read_events(events)
    try:
        result = score_skillsprint(frames, engine)
    except AssessmentInputError as exc:
        _fail(f"{events / (exc.instrument + '.csv')}: {exc}")
    skills = list(engine.taxonomy.skill_ids)
    profiles = pd.concat([pd.DataFrame(result.levels.round(3), columns=[f"{s}.level" for s in skills]),
                          pd.DataFrame(result.se.round(3), columns=[f"{s}.se" for s in skills]),
                          pd.DataFrame(result.measured, columns=[f"{s}.measured" for s in skills])], axis=1)
    profiles.insert(0, "session_id", result.session_ids)
    scales = result.scales.copy()
    scales.columns = [f"{a}.{b}" for a, b in scales.columns]
    files = {f"profiles.{fmt}": profiles, f"scales.{fmt}": scales.reset_index(), f"flags.{fmt}": result.flags}
    write_outputs_atomically(out, files, {"sessions": len(result.session_ids), "versions": result.versions,
                                          "flags": result.flags["flag"].value_counts().to_dict()})
    console.print(f"{len(result.session_ids):,} sessions scored; profiles, scales and flags written to {out}")


@assessment_app.command()
def report(n: int = typer.Option(5_000, min=200, help="Number of simulated players."),
           seed: int = typer.Option(7),
           json_out: Path = typer.Option(None, "--json", help="Also write the report as JSON.")):
    """Reliability, recovery, coverage, adaptive-test efficiency, flag rates and DIF, per skill and scale."""
    from assessment.report import build_report, render_report
    from passport.files import write_text_atomically

    built = build_report(n=n, seed=seed)
    typer.echo(render_report(built))
    if json_out:
        write_text_atomically(json_out, json.dumps(built.to_dict(), indent=2, default=float) + "\n")
