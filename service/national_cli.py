"""``skillpass national``: the national batch from the command line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def national_command(
    n_seekers: int = typer.Option(1_000_000, min=1, help="Seekers in the synthetic national market."),
    n_vacancies: int = typer.Option(200_000, min=1, help="Vacancies in the synthetic national market."),
    seed: int = typer.Option(0, help="Seed of the synthetic market."),
    passports: str = typer.Option("noise", help="'noise' (fast stand-in) or 'skillsprint' (every seeker plays)."),
    mode: str = typer.Option("optimal", help="'optimal', 'stable' or 'both' (also compares them)."),
    top_k: int = typer.Option(20, min=1, help="Candidates per seeker."),
    per_opening: int = typer.Option(5, min=0, help="Candidates kept per vacancy opening."),
    recall_sample: int = typer.Option(0, min=0, help="Also measure the recall of the exact top-k on this many seekers."),
    fmt: str = typer.Option("parquet", "--format", help="Output format: csv or parquet."),
    out: Path = typer.Option(Path("skillpass-output/national"), help="Output folder (replaced as a whole)."),
    model: Path = typer.Option(None, help="A trained placement model (skillpass model train); rule-based if absent."),
):
    """Match a whole country's caseload: pruned candidates, then the optimal and/or stable assignment."""
    from matching.national import MODES, national_summary, run_national_batch
    from matching.pruned import candidate_recall
    from matching.synthetic import MarketConfig, generate_market
    from matching.timing import StageTimer
    from service.cli import _load_scorer, machine_note, timing_table, write_outputs_atomically

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("expected csv or parquet", param_hint="--format")
    if mode not in MODES:
        raise typer.BadParameter(f"expected one of {', '.join(MODES)}", param_hint="--mode")
    try:
        config = MarketConfig(n_seekers=n_seekers, n_vacancies=n_vacancies, seed=seed, geography="national",
                              passports=passports)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    timer = StageTimer()
    with console.status("generating the national market"):
        market = generate_market(config, timer=timer)
    scorer = _load_scorer(model, market.taxonomy)
    with Progress(TextColumn("candidates"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} seekers"),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("candidates", total=market.seekers.n)
        run = run_national_batch(market.seekers, market.vacancies, market.taxonomy, scorer=scorer, mode=mode,
                                 top_k=top_k, per_opening=per_opening, timer=timer,
                                 progress=lambda done, total: bar.update(task, completed=done))
    summary = national_summary(run)
    if recall_sample:
        with console.status("measuring recall against exact lists"), timer.stage("recall check"):
            summary["recall_of_exact_top_k"] = candidate_recall(
                run.graph, market.seekers, market.vacancies, run.score_fn, top_k=top_k,
                sample_size=recall_sample)
    summary.update({"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "synthetic": config.__dict__, "scorer": str(model) if model else "rule-based",
                    "machine": machine_note()})
    with timer.stage("write outputs"):
        write_outputs_atomically(out, national_frames(run, fmt), summary)
    summary["seconds_per_stage"] = {k: round(v, 2) for k, v in timer.seconds.items()}
    console.print(national_table(summary))
    console.print(timing_table(timer))
    console.print(f"Wrote the assignments and summary.json to [bold]{out}[/bold]")


def national_frames(run, fmt: str) -> dict[str, pd.DataFrame]:
    seeker_ids = np.asarray(run.seekers.ids, dtype=object)
    vacancy_ids = np.asarray(run.vacancies.ids, dtype=object)
    graph = run.graph
    frames = {}
    if run.optimal is not None:
        r = run.optimal
        frames[f"assignment.{fmt}"] = pd.DataFrame({
            "seeker_id": seeker_ids[r.seeker_index], "vacancy_id": vacancy_ids[r.vacancy_index],
            "expected_success": r.score.round(4)})
    if run.stable is not None:
        chosen = run.stable.edge_chosen
        frames[f"stable_assignment.{fmt}"] = pd.DataFrame({
            "seeker_id": seeker_ids[graph.seeker[chosen]], "vacancy_id": vacancy_ids[graph.vacancy[chosen]],
            "expected_success": graph.score[chosen].round(4), "distance_km": graph.distance_km[chosen].round(1)})
    return frames


def national_table(summary: dict) -> Table:
    table = Table(title="skillpass national")
    table.add_column("")
    table.add_column("value", justify="right")
    rows = [("seekers", summary["seekers"]), ("vacancies", summary["vacancies"]), ("openings", summary["openings"]),
            ("pairs within travel", summary["pairs_within_travel"]),
            ("pairs scored exactly per seeker", summary["shortlist_per_seeker"]),
            ("candidate pairs", summary["candidate_pairs"])]
    for mode in ("optimal", "stable"):
        if mode in summary:
            rows += [(f"{mode}: placed", summary[mode]["matched"]),
                     (f"{mode}: expected successful placements", summary[mode]["expected_successful_placements"])]
    if "comparison" in summary:
        comparison = summary["comparison"]
        rows += [("blocking pairs of the optimum", comparison["blocking_pairs_of_optimal"]),
                 ("price of stability", f"{comparison['price_of_stability']['relative_loss']:.2%}")]
    if "recall_of_exact_top_k" in summary:
        rows.append(("recall of the exact top-k", f"{summary['recall_of_exact_top_k']['recall']:.4f}"))
    for name, value in rows:
        table.add_row(name, f"{value:,}" if isinstance(value, (int, np.integer)) else str(value))
    return table
