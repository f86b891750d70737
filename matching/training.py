"""Training the learned placement model on a placement history.

The default training set is a synthetic region of 20,000 seekers with three years of
past placements (:mod:`matching.synthetic.history`), about 33,000 records. The market the
model is evaluated on is generated with another seed, so the evaluation never sees a
seeker, vacancy or outcome the model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.learned import AdditivePlacementModel, schema_monotonic_cst
from matching.model_store import training_fingerprint
from matching.synthetic.history import PlacementHistory, generate_history
from matching.synthetic.market import generate_market

WEIGHTINGS = ("none", "ipw")
HISTORY_SEEKERS = 20_000
HISTORY_VACANCIES = 5_000
HISTORY_YEARS = 3


@dataclass(frozen=True, eq=False)
class TrainedModel:
    model: AdditivePlacementModel
    training: dict  # what the model card records about the training data


def train_placement_model(history: PlacementHistory, *, weighting: str = "none", random_state: int = 0,
                          **params) -> TrainedModel:
    """Fit :class:`AdditivePlacementModel` with the schema's monotone constraints.

    ``weighting="ipw"`` weights each record by its inverse propensity, so that the fit
    targets every feasible pair rather than the pairs past practice chose; ``"none"``
    trusts the model to be right where the records are. ``skillpass evaluate`` measures
    both; see the README for which won.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting: expected one of {WEIGHTINGS}, got {weighting!r}")
    X, y = history.features(), history.outcomes()
    if len(y) == 0:
        raise ValueError("history: no placements to learn from")
    weight = history.weights() if weighting == "ipw" else None
    model = AdditivePlacementModel(monotonic_cst=schema_monotonic_cst(history.market.taxonomy),
                                   random_state=random_state, **params)
    model.fit(X, y, sample_weight=weight)
    config = history.market.config
    training = {
        "fingerprint": training_fingerprint(X, y, weight),
        "n_records": int(len(y)),
        "positive_rate": round(float(np.mean(y)), 4),
        "weighting": weighting,
        "source": "synthetic placement history (matching.synthetic.history)",
        "market": {"n_seekers": config.n_seekers, "n_vacancies": config.n_vacancies, "seed": config.seed,
                   "geography": config.geography, "passports": config.passports},
        "years": int(history.records["year"].max() + 1),
        "boosting_rounds": int(model.n_iter_),
    }
    return TrainedModel(model=model, training=training)


def synthetic_history(*, n_seekers: int = HISTORY_SEEKERS, n_vacancies: int = HISTORY_VACANCIES,
                      years: int = HISTORY_YEARS, seed: int = 0, passports: str = "skillsprint",
                      timer=None) -> PlacementHistory:
    """A history market and its past placements (seeds derived from *seed*)."""
    market = generate_market(n_seekers=n_seekers, n_vacancies=n_vacancies, seed=seed, passports=passports,
                             timer=timer)
    return generate_history(market, years=years, seed=seed + 1)
