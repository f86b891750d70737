"""Calibration of the scenario items: a field trial, and graded-response parameters from it.

Scoring the scenario test needs item parameters estimated from people's answers, not the
parameters the simulation generates answers from. Until a real field trial exists, the
answers come from :func:`simulate_field_trial`: simulated players with independent N(0, 1)
traits answer with the generating parameters of ``data/assessment/sjt_items.csv``.
:func:`calibrate_sjt` then estimates each skill's items by marginal maximum likelihood (EM,
:func:`assessment.irt.calibrate_grm`), one unidimensional model per skill, so the parameters
carry realistic estimation error.

The shipped ``data/assessment/sjt_parameters.csv`` was made by::

    skillpass assessment calibrate --simulate 3000 --seed 20261123

which is ``calibrate_sjt(simulate_field_trial(3000, 20261123))`` written with a provenance
comment line (see ``data/assessment/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from assessment import irt
from assessment.errors import AssessmentInputError
from assessment.sjt import BANK, N_CATEGORIES, PARAMETERS_FILE, SCALE_IDS, SKILLS
from passport.resources import data_dir

FIELD_TRIAL_N = 3000
FIELD_TRIAL_SEED = 20261123
# In the balanced incomplete design each skill's items form three blocks and every player
# answers two of them; each pair of blocks is given together equally often.
BLOCKS_PER_SKILL = 3


# Upper case because the CLI reads it like a constant; a function because the data folder
# can be redirected (SKILLPASS_DATA_DIR) after import.
def DEFAULT_PARAMETERS_PATH() -> Path:
    """Where scoring looks for the calibrated parameters."""
    return data_dir() / PARAMETERS_FILE


def simulate_field_trial(n: int = FIELD_TRIAL_N, seed: int = FIELD_TRIAL_SEED, *,
                         design: str = "full") -> pd.DataFrame:
    """Answers of a simulated field trial: sessions × items, categories 0..3, NaN = not given.

    Parameters
    ----------
    n : int
        Number of players.
    seed : int
        Seed of the random generator; the same *n*, *seed* and *design* give the same table.
    design : {"full", "blocks"}
        ``"full"``: everyone answers the whole bank. ``"blocks"``: a balanced incomplete
        design — each skill's items split into three blocks, and each player answers two of
        them (rotating over players), so about two thirds of the bank.

    Returns
    -------
    DataFrame
        Index ``session_id`` 0..n-1, one column per item id in bank order.
    """
    if n < 1:
        raise ValueError("a field trial needs at least one player")
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(n, len(SKILLS)))
    # GRM with the generating parameters: X >= k exactly when u < P*_k.
    person_theta = theta[:, BANK.scale]                                             # (n, J)
    star = 1.0 / (1.0 + np.exp(-BANK.sim_a[None, :, None] * (person_theta[..., None] - BANK.sim_thresholds[None])))
    answers = (rng.random((n, len(BANK.ids)))[..., None] < star).sum(axis=2).astype(float)
    if design == "blocks":
        block = np.zeros(len(BANK.ids), dtype=np.int64)
        for s in range(len(SKILLS)):
            items = BANK.items_of(s)
            block[items] = np.arange(len(items)) % BLOCKS_PER_SKILL
        skipped_block = np.arange(n) % BLOCKS_PER_SKILL
        answers[block[None, :] == skipped_block[:, None]] = np.nan
    elif design != "full":
        raise ValueError(f"unknown design {design!r}; expected 'full' or 'blocks'")
    return pd.DataFrame(answers, index=pd.RangeIndex(n, name="session_id"),
                        columns=pd.Index(BANK.ids, name="item_id"))


def calibrate_sjt(responses: pd.DataFrame, *, max_iter: int = 500, tol: float = 1e-4) -> pd.DataFrame:
    """Graded-response parameters of the scenario items from answers, one model per skill.

    Parameters
    ----------
    responses : DataFrame
        Sessions × items (columns named by item id, any subset of the bank, any order);
        categories 0..3 and NaN (or empty) where an item was not given — a full test, an
        incomplete design or adaptive sessions.
    max_iter, tol :
        Passed to :func:`assessment.irt.calibrate_grm`.

    Returns
    -------
    DataFrame
        One row per calibrated item in bank order, columns ``item_id``, ``scale``, ``a``,
        ``b1``, ``b2``, ``b3``, ``n_responses``, ``converged``. An unknown column, a value
        that is not a category, or an item nobody answered is an error naming it.
    """
    unknown = [c for c in responses.columns if c not in BANK.ids]
    if unknown:
        raise AssessmentInputError("sjt", f"unknown item {unknown[0]!r} in the responses", field=str(unknown[0]))
    values = responses.apply(pd.to_numeric, errors="coerce").astype(float)
    invalid = (responses.notna() & values.isna()) | (values.notna() & ~values.isin([0.0, 1.0, 2.0, 3.0]))
    if invalid.to_numpy().any():
        row, column = np.argwhere(invalid.to_numpy())[0]
        raise AssessmentInputError("sjt", f"response {responses.iat[row, column]} of session {responses.index[row]!r} "
                                   "is not a category 0..3", field=str(responses.columns[column]))
    unanswered = values.columns[values.notna().sum().to_numpy() == 0]
    if len(unanswered):
        raise AssessmentInputError("sjt", "nobody answered this item, so it cannot be calibrated",
                                   field=str(unanswered[0]))
    rows = []
    for s, skill in enumerate(SKILLS):
        items = [BANK.ids[j] for j in BANK.items_of(s) if BANK.ids[j] in values.columns]
        if not items:
            continue
        fit = irt.calibrate_grm(values[items].to_numpy(dtype=float), N_CATEGORIES, max_iter=max_iter, tol=tol)
        for j, item in enumerate(items):
            rows.append({"item_id": item, "scale": SCALE_IDS[s], "a": fit.a[j], "b1": fit.thresholds[j, 0],
                         "b2": fit.thresholds[j, 1], "b3": fit.thresholds[j, 2],
                         "n_responses": int(fit.n_responses[j]), "converged": fit.converged})
    order = {item: k for k, item in enumerate(BANK.ids)}
    return pd.DataFrame(rows).sort_values("item_id", key=lambda c: c.map(order)).reset_index(drop=True)
