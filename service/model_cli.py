"""``skillpass model …`` and ``skillpass evaluate``: train, inspect and evaluate the learned scorer."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

model_app = typer.Typer(help="The learned placement model: train it and read its model card.", no_args_is_help=True)
console = Console()

DEFAULT_MODEL = Path("skillpass-output/models/placement.joblib")
DEFAULT_EVALUATION_OUT = Path("skillpass-output/evaluate")


def _train(history_seekers: int, history_vacancies: int, years: int, seed: int, passports: str, weighting: str,
           status=None):
    from matching.training import synthetic_history, train_placement_model

    if status:
        status.update(f"simulating {years} years of placements over {history_seekers:,} seekers")
    history = synthetic_history(n_seekers=history_seekers, n_vacancies=history_vacancies, years=years, seed=seed,
                                passports=passports)
    if status:
        status.update(f"training on {history.n:,} past placements")
    return train_placement_model(history, weighting=weighting, random_state=seed)


@model_app.command("train")
def train(
    out: Path = typer.Option(DEFAULT_MODEL, help="Model file to write; the card goes beside it (.card.json)."),
    history_seekers: int = typer.Option(20_000, min=100, help="Seekers in the simulated history market."),
    history_vacancies: int = typer.Option(5_000, min=20, help="Vacancies in the simulated history market."),
    years: int = typer.Option(3, min=1, help="Years of past placements."),
    seed: int = typer.Option(0, help="Seed of the history market (evaluation uses other seeds)."),
    passports: str = typer.Option("skillsprint", help="'skillsprint' or 'noise' passports in the history market."),
    weighting: str = typer.Option("none", help="'none' or 'ipw' (inverse-propensity weights against selection)."),
    evaluation_seekers: int = typer.Option(3_000, min=50, help="Seekers of the held-out market for the card's metrics."),
):
    """Train the learned placement model on a simulated placement history and save it with its model card."""
    from matching.evaluation import held_out_pairs, learned_model_metrics
    from matching.model_store import save_model
    from matching.synthetic.market import generate_market

    _check_choice("--weighting", weighting, ("none", "ipw"))
    _check_choice("--passports", passports, ("skillsprint", "noise"))
    with console.status("training") as status:
        trained = _train(history_seekers, history_vacancies, years, seed, passports, weighting, status)
        status.update("measuring on a held-out market")
        held_out = generate_market(n_seekers=evaluation_seekers, n_vacancies=max(20, evaluation_seekers // 4),
                                   seed=seed + 1000, passports=passports)
        pairs = held_out_pairs(held_out, seed=seed + 1000)
        metrics = _card_metrics(learned_model_metrics(pairs, trained.model), pairs)
        card = save_model(trained.model, out, held_out.taxonomy, training=trained.training, metrics=metrics)
    console.print(_card_table(card))
    console.print(f"Wrote [bold]{out}[/bold] and its model card")


def _card_metrics(measured: dict, pairs) -> dict:
    market = pairs.market
    return {"held_out_market": {"n_seekers": market.seekers.n, "n_vacancies": market.vacancies.n,
                                "seed": market.config.seed, "pairs": pairs.n},
            **{name: round(float(measured[name]), 4) for name in ("ndcg@10", "recall@10", "map", "roc_auc", "brier",
                                                                  "ece", "ece_top10")}}


def _check_choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise typer.BadParameter(f"expected one of {', '.join(allowed)}, got {value!r}", param_hint=option)


def _card_table(card: dict) -> Table:
    table = Table(title=f"model card: {card['model_file']}")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    training = card["training_data"]
    rows = [("model", card["model_type"]), ("created", card["created"]),
            ("feature schema", f"{card['feature_schema_version']} ({len(card['feature_names'])} features)"),
            ("libraries", ", ".join(f"{k} {v}" for k, v in card["libraries"].items())),
            ("training data", f"{training['n_records']:,} placements, {training['positive_rate']:.1%} lasted, "
                              f"weighting {training.get('weighting', 'none')}"),
            ("fingerprint", training["fingerprint"][:16] + "…")]
    rows += [(f"held-out {k}", f"{v}") for k, v in card["metrics"].items() if not isinstance(v, dict)]
    rows += [("intended use", card["intended_use"]), ("limits", card["limits"])]
    for name, value in rows:
        table.add_row(name, value)
    return table


@model_app.command("show")
def show(path: Path = typer.Argument(DEFAULT_MODEL, help="Model file whose card to show.")):
    """Print a model's card and whether this installation can use the model."""
    from matching.model_store import ModelCompatibilityError, load_model, read_card
    from passport.taxonomy import load_taxonomy

    try:
        card = read_card(path)
        load_model(path, load_taxonomy())
    except (ModelCompatibilityError, FileNotFoundError) as exc:
        console.print(f"[red]cannot use this model[/red]: {exc}")
        raise typer.Exit(2) from exc
    console.print(_card_table(card))
    console.print("[green]compatible[/green] with this installation")


def evaluate_command(
    model: Path = typer.Option(None, help="A trained model; without one, a model is trained in this run."),
    seekers: int = typer.Option(6_000, min=50, help="Seekers of the held-out evaluation market."),
    vacancies: int = typer.Option(1_500, min=10, help="Vacancies of the held-out evaluation market."),
    seed: int = typer.Option(7, help="Seed of the evaluation market (keep it apart from the training seed)."),
    passports: str = typer.Option("skillsprint", help="'skillsprint' or 'noise' passports."),
    k: int = typer.Option(10, min=1, help="List length seekers and employers look at."),
    congestion_strength: float = typer.Option(None, min=0.0, max=1.0,
                                              help="Congestion control knob (0 = off, 1 = strict); default 0.2."),
    bootstrap: int = typer.Option(500, min=0, help="Bootstrap resamples for the fairness intervals."),
    history_seekers: int = typer.Option(20_000, min=100, help="History market size when training in this run."),
    out: Path = typer.Option(DEFAULT_EVALUATION_OUT, help="Output folder (replaced as a whole)."),
):
    """Rank quality, calibration, fairness and congestion of every scorer on held-out synthetic outcomes."""
    from matching import RuleBasedScorer
    from matching.evaluation import DEFAULT_CONGESTION_STRENGTH, evaluate, held_out_pairs, targets
    from matching.model_store import ModelCompatibilityError, load_model
    from matching.synthetic.market import generate_market
    from matching.training import synthetic_history
    from service.cli import machine_note, write_outputs_atomically

    _check_choice("--passports", passports, ("skillsprint", "noise"))
    strength = DEFAULT_CONGESTION_STRENGTH if congestion_strength is None else congestion_strength
    with console.status("preparing") as status:
        if model is not None:
            from passport.taxonomy import load_taxonomy

            try:
                learned = load_model(model, load_taxonomy())
            except (ModelCompatibilityError, FileNotFoundError) as exc:
                console.print(f"[red]error[/red]: {exc}")
                raise typer.Exit(2) from exc
            model_note = {"model": str(model)}
        else:
            trained = _train(history_seekers, max(20, history_seekers // 4), 3, 0, passports, "none", status)
            learned = trained.model
            model_note = {"model": "trained in this run", "training": trained.training}
        # The rule-based scorer's intercept is fitted to the history's success rate, as in production.
        status.update("fitting the rule-based scorer's intercept on a placement history")
        history = synthetic_history(n_seekers=min(history_seekers, 5_000), n_vacancies=min(history_seekers, 5_000) // 4,
                                    seed=1, passports=passports)
        rule_based = RuleBasedScorer().fit(history.features(), history.outcomes())
        status.update(f"generating the held-out market ({seekers:,} seekers)")
        market = generate_market(n_seekers=seekers, n_vacancies=vacancies, seed=seed, passports=passports)
        pairs = held_out_pairs(market, seed=seed)
        status.update(f"scoring and measuring {pairs.n:,} pairs")
        result = evaluate(pairs, rule_based, learned, k=k, employer_k=k, congestion_strength=strength,
                          n_boot=bootstrap, seed=seed)
        measured = targets(result, k=k)
    summary = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **model_note,
               "settings": result.settings, "scorers": json.loads(result.scorers.to_json(orient="index")),
               "targets": measured, "machine": machine_note()}
    write_outputs_atomically(out, {"scorers.csv": result.scorers.reset_index(), "fairness.csv": result.fairness,
                                   "reliability.csv": result.reliability}, summary)
    console.print(_scorer_table(result, k))
    console.print(_target_table(measured))
    console.print(f"Wrote scorers.csv, fairness.csv, reliability.csv and summary.json to [bold]{out}[/bold]")


def _scorer_table(result, k: int) -> Table:
    columns = [f"ndcg@{k}", f"recall@{k}", "map", "roc_auc", "brier", "ece", "exposure_gini", "vacancy_coverage",
               "applicants_per_opening_max", "min_selection_rate_ratio"]
    table = Table(title="scorers on held-out outcomes")
    table.add_column("scorer")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for name, row in result.scorers.iterrows():
        table.add_row(name, *("–" if row[c] != row[c] else f"{row[c]:.3f}" for c in columns))
    return table


def _target_table(measured: dict) -> Table:
    table = Table(title="targets")
    for column in ("target", "measured", "required", "met"):
        table.add_column(column)
    for name, entry in measured.items():
        table.add_row(name.replace("_", " "), f"{entry['value']:.3f}", entry["target"],
                      "[green]yes[/green]" if entry["met"] else "[red]no[/red]")
    return table
