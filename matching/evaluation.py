"""``skillpass evaluate``: ranking quality, calibration, fairness and congestion on held-out outcomes.

The evaluation market is a synthetic region generated with its own seed, so no seeker,
vacancy or outcome in it was seen in training. Every scorer ranks the same pairs: all
feasible (seeker, vacancy) pairs after the knock-outs, for every seeker of that market.
Because the market is synthetic, each pair has a known true probability that a placement
would last (the hidden ground truth) and one drawn outcome, so every list can be judged
in full, including the pairs past practice never tried.

* Seekers' lists: NDCG@k with the true probability as gain; recall@k and MAP with the drawn
  outcome as relevance.
* Probabilities: ROC AUC, Brier score and expected calibration error on all pairs, and the
  ECE on the pairs seekers are shown (their top k). Only scorers that claim to give
  probabilities (the rule-based scorer with its fitted intercept, the learned model) get
  Brier and ECE; a similarity or a job-board score is not a probability.
* Congestion: exposure Gini over vacancies per opening, coverage of vacancies, expected
  applicants per opening (:func:`matching.ranking_metrics.congestion_summary`).
* Fairness: employers' lists are each vacancy's best *k* candidates. Per group of
  seekers (gender, age band, migration background, long-term unemployment, and their
  pairwise intersections): the selection rate (share shortlisted by at least one
  employer) and the exposure received, each as a ratio to the best-off group, with a
  bootstrap interval and the four-fifths rule. Group attributes are read here and
  nowhere else: no scorer sees them.

Scorers compared in the same run: random, diploma/hard skills only (how job boards rank),
cosine similarity of the skill vectors, the rule-based scorer, the learned model, and the
learned model with congestion control (Sinkhorn re-ranking of the seekers' lists; the
probabilities it shows are the learned model's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from matching import ranking_metrics as rm
from matching._rule_based import RuleBasedScorer
from matching.baselines import DiplomaScorer
from matching.candidates import N_REASONS, _feasible_pairs, block_size_for
from matching.congestion import congestion_aware_scores
from matching.features import pair_features

FAIRNESS_COLUMNS = ["gender", "age_band", "migration_background", "long_term_unemployed"]
DEFAULT_K = 10
DEFAULT_CONGESTION_STRENGTH = 0.2
LEARNED = "learned"
CONGESTION_CONTROLLED = "learned + congestion control"
OUTCOME_STREAM, RANDOM_SCORER_STREAM = 1, 2
PROBABILITY_SCORERS = ("rule_based", LEARNED, CONGESTION_CONTROLLED)


@dataclass(frozen=True, eq=False)
class HeldOutPairs:
    """Every feasible pair of an evaluation market, with features, truth and outcomes."""

    market: object
    seeker: np.ndarray
    vacancy: np.ndarray
    distance_km: np.ndarray
    features: np.ndarray
    true_probability: np.ndarray
    lasted: np.ndarray

    @property
    def n(self) -> int:
        return len(self.seeker)


def held_out_pairs(market, *, seed: int = 0, memory_budget_mb: float = 256.0) -> HeldOutPairs:
    """All feasible pairs of *market*, their features, true P(lasting) and one drawn outcome."""
    seekers, vacancies = market.seekers, market.vacancies
    block = block_size_for(vacancies.n, memory_budget_mb)
    counts = np.zeros((seekers.n, N_REASONS), dtype=np.int32)
    found = [_feasible_pairs(seekers, vacancies, lo, min(lo + block, seekers.n), counts, None)
             for lo in range(0, seekers.n, block)]
    s, v, d = (np.concatenate([f[i] for f in found]) for i in range(3))
    features = pair_features(seekers, vacancies, s, v, market.taxonomy, distance_km=d)
    truth = market.truth.probability(seekers, vacancies, s, v)
    # Its own stream: the random baseline draws from another one, never from these uniforms.
    lasted = (np.random.default_rng([seed, OUTCOME_STREAM]).random(len(s)) < truth).astype(np.int8)
    return HeldOutPairs(market=market, seeker=s, vacancy=v.astype(np.int32), distance_km=d, features=features,
                        true_probability=truth, lasted=lasted)


def cosine_similarity_scores(pairs: HeldOutPairs) -> np.ndarray:
    """Cosine of the seeker's soft-skill levels and the vacancy's required levels."""
    levels = pairs.market.seekers.levels[pairs.seeker]
    required = pairs.market.vacancies.required[pairs.vacancy]
    dot = np.einsum("ij,ij->i", levels, required)
    return dot / np.maximum(np.linalg.norm(levels, axis=1) * np.linalg.norm(required, axis=1), 1e-12)


def baseline_scores(pairs: HeldOutPairs, rule_based: RuleBasedScorer, *, seed: int = 0) -> dict[str, np.ndarray]:
    market = pairs.market
    return {
        "random": np.random.default_rng([seed, RANDOM_SCORER_STREAM]).random(pairs.n),
        "diploma_hard_skills": DiplomaScorer()(market.seekers, market.vacancies, pairs.seeker, pairs.vacancy,
                                               pairs.distance_km),
        "cosine_similarity": cosine_similarity_scores(pairs),
        "rule_based": rule_based.score_pairs(pairs.features),
    }


@dataclass(eq=False)
class Evaluation:
    """The tables of one evaluation run."""

    scorers: pd.DataFrame            # one row per scorer
    fairness: pd.DataFrame           # per scorer, attribute and group
    reliability: pd.DataFrame        # the learned model's reliability table
    settings: dict = field(default_factory=dict)

    def fairness_of(self, scorer: str) -> pd.DataFrame:
        return self.fairness[self.fairness["scorer"] == scorer].drop(columns="scorer")


def ranking_quality(pairs: HeldOutPairs, order_score: np.ndarray, k: int = DEFAULT_K) -> dict:
    """Seekers' lists ordered by *order_score*: NDCG@k, recall@k, MAP and congestion."""
    n_seekers = pairs.market.seekers.n
    ndcg = rm.ndcg_at_k(pairs.seeker, order_score, pairs.true_probability, k=k, n_groups=n_seekers)
    recall = rm.recall_at_k(pairs.seeker, order_score, pairs.lasted, k=k, n_groups=n_seekers)
    ap = rm.average_precision(pairs.seeker, order_score, pairs.lasted, n_groups=n_seekers)
    row = {f"ndcg@{k}": np.nanmean(ndcg), f"recall@{k}": np.nanmean(recall), "map": np.nanmean(ap)}
    row.update(rm.congestion_summary(pairs.seeker, pairs.vacancy, order_score,
                                     pairs.market.vacancies.openings.astype(np.int64), k=k))
    return row


def _probability_row(pairs: HeldOutPairs, probability: np.ndarray, order_score: np.ndarray, k: int,
                     is_probability: bool) -> dict:
    row = {"roc_auc": roc_auc_score(pairs.lasted, probability)}
    if is_probability:
        shown = rm.rank_within(pairs.seeker, order_score) <= k
        row.update({"brier": brier_score_loss(pairs.lasted, probability),
                    "ece": rm.expected_calibration_error(probability, pairs.lasted),
                    f"ece_top{k}": rm.expected_calibration_error(probability[shown], pairs.lasted[shown]),
                    "mean_probability": float(np.mean(probability))})
    else:
        row.update({"brier": np.nan, "ece": np.nan, f"ece_top{k}": np.nan, "mean_probability": np.nan})
    return row


def _fairness_tables(pairs: HeldOutPairs, probability: np.ndarray, employer_k: int, n_boot: int,
                     seed: int) -> pd.DataFrame:
    """Selection and exposure of seekers in employers' top-*employer_k* lists, by group."""
    n_seekers = pairs.market.seekers.n
    rank = rm.rank_within(pairs.vacancy, probability)
    shortlisted = np.bincount(pairs.seeker[rank <= employer_k], minlength=n_seekers) > 0
    exposure = rm.exposure_by(pairs.seeker, rank, n_seekers, k=employer_k)
    groups = pairs.market.groups
    selection = rm.selection_rate_ratios(shortlisted, groups, FAIRNESS_COLUMNS, n_boot=n_boot, random_state=seed)
    exposure_table = rm.exposure_ratios(exposure, groups, FAIRNESS_COLUMNS, n_boot=n_boot, random_state=seed)
    return pd.concat([selection.assign(measure="selection_rate"), exposure_table.assign(measure="exposure")],
                     ignore_index=True)


def evaluate(pairs: HeldOutPairs, rule_based: RuleBasedScorer, learned_model, *, k: int = DEFAULT_K,
             employer_k: int = DEFAULT_K, congestion_strength: float = DEFAULT_CONGESTION_STRENGTH,
             n_boot: int = 500, seed: int = 0) -> Evaluation:
    """Every scorer on the same held-out pairs (see the module docstring)."""
    scores = baseline_scores(pairs, rule_based, seed=seed)
    learned = learned_model.score_pairs(pairs.features)
    scores[LEARNED] = learned
    congestion = congestion_aware_scores(pairs.seeker, pairs.vacancy, learned,
                                         pairs.market.vacancies.openings.astype(np.int64),
                                         n_seekers=pairs.market.seekers.n, n_vacancies=pairs.market.vacancies.n,
                                         strength=congestion_strength)
    rows, fairness, tables = [], [], {}
    for name, score in {**scores, CONGESTION_CONTROLLED: None}.items():
        probability = learned if score is None else score
        order = congestion.adjusted if score is None else score
        row = {"scorer": name, **ranking_quality(pairs, order, k),
               **_probability_row(pairs, probability, order, k, name in PROBABILITY_SCORERS)}
        # Employers' lists follow the probability, which congestion control leaves alone:
        # its audit is the learned model's, so the bootstrap runs once for both.
        if id(probability) not in tables:
            tables[id(probability)] = _fairness_tables(pairs, probability, employer_k, n_boot, seed)
        table = tables[id(probability)]
        judged = table[~table["too_small"]]
        for measure in ("selection_rate", "exposure"):
            ratios = judged.loc[judged["measure"] == measure, "ratio"]
            row[f"min_{measure}_ratio"] = float(ratios.min()) if len(ratios) else np.nan
        rows.append(row)
        fairness.append(table.assign(scorer=name))
    reliability = rm.reliability_table(learned, pairs.lasted)
    settings = {"k": k, "employer_k": employer_k, "congestion_strength": congestion_strength,
                "congestion_iterations": congestion.iterations, "congestion_converged": congestion.converged,
                "pairs": pairs.n, "seekers": pairs.market.seekers.n, "vacancies": pairs.market.vacancies.n,
                "n_boot": n_boot, "seed": seed}
    return Evaluation(scorers=pd.DataFrame(rows).set_index("scorer"), fairness=pd.concat(fairness, ignore_index=True),
                      reliability=reliability, settings=settings)


def learned_model_metrics(pairs: HeldOutPairs, model, k: int = DEFAULT_K) -> dict:
    """The learned model's own figures on held-out pairs (what its model card records)."""
    probability = model.score_pairs(pairs.features)
    return {**ranking_quality(pairs, probability, k), **_probability_row(pairs, probability, probability, k, True)}


def targets(evaluation: Evaluation, k: int = DEFAULT_K) -> dict:
    """The issue's targets, measured: each with its figure and whether it is met."""
    table = evaluation.scorers
    ndcg = table[f"ndcg@{k}"]
    learned, controlled = table.loc[LEARNED], table.loc[CONGESTION_CONTROLLED]
    lift_rule = ndcg[LEARNED] / ndcg["rule_based"] - 1
    lift_hard = ndcg[LEARNED] / ndcg["diploma_hard_skills"] - 1
    gini_cut = 1 - controlled["exposure_gini"] / learned["exposure_gini"]
    ndcg_loss = 1 - controlled[f"ndcg@{k}"] / learned[f"ndcg@{k}"]
    fairness = evaluation.fairness_of(CONGESTION_CONTROLLED)
    selection = fairness[(fairness["measure"] == "selection_rate") & ~fairness["too_small"]]
    failing = selection[selection["ratio"] < 0.8]
    return {
        "ndcg_lift_over_rule_based": {"value": float(lift_rule), "target": ">= 0.05", "met": bool(lift_rule >= 0.05)},
        "ndcg_lift_over_hard_skills": {"value": float(lift_hard), "target": ">= 0.30", "met": bool(lift_hard >= 0.30)},
        "expected_calibration_error": {"value": float(learned["ece"]), "target": "<= 0.03",
                                       "met": bool(learned["ece"] <= 0.03)},
        "congestion_gini_cut": {"value": float(gini_cut), "target": ">= 0.30", "met": bool(gini_cut >= 0.30)},
        "congestion_ndcg_loss": {"value": float(ndcg_loss), "target": "<= 0.05", "met": bool(ndcg_loss <= 0.05)},
        "selection_rate_ratio_min": {
            "value": float(selection["ratio"].min()), "target": ">= 0.8 for every group", "met": failing.empty,
            "below": [f"{r.attribute}={r.group}: {r.ratio:.2f}" for r in failing.itertuples()]},
    }
