"""Metrics of ``skillpass evaluate``: ranking quality, calibration, congestion and fairness.

Every function works on whole populations at once. A population of ranked lists is given
as grouped parallel arrays: ``group[i]`` says which list row *i* belongs to (a seeker for
the seekers' lists of vacancies, a vacancy for the employers' lists of candidates),
``score[i]`` orders the rows of a list (higher is better) and ``gain[i]`` or
``relevant[i]`` says how good the row really is. Rows may come in any order; the lists are
formed inside. Per-list results are arrays indexed by group id (length ``n_groups``,
by default ``group.max() + 1``), with NaN where a list has nothing to measure.

Ranking quality (what a job seeker or an employer sees in their own list)
    * ``rank_within`` — position of each row in its list, 1 = best. Equal scores keep
      their input order, so the ranks are deterministic.
    * ``ndcg_at_k`` — how close the top *k* of a list comes to the best possible top *k*.
      ``DCG@k = Σ_{rank ≤ k} gain / log2(rank + 1)``; the ideal DCG is the same sum over
      the list's gains sorted from high to low; ``NDCG@k = DCG@k / ideal DCG@k``. Gains are
      used as they are (linear gain, as ``sklearn.metrics.ndcg_score`` does). 1 means the
      seeker's first screen is as good as it can be; NaN for a list whose ideal DCG is 0.
    * ``recall_at_k`` — share of a list's relevant rows (e.g. vacancies where the
      placement lasted) that make it into the top *k*, i.e. that the seeker will see.
      NaN for a list without relevant rows.
    * ``average_precision`` — ``AP = (1/R) Σ_{relevant rows} (relevant rows at rank ≤ r) / r``
      with *R* the list's number of relevant rows: the precision of the list read down to
      each relevant row, averaged. Equal to ``sklearn.metrics.average_precision_score``
      when scores within a list are distinct (sklearn counts tied rows together; here
      ties keep input order). Mean average precision (MAP) over lists is
      ``np.nanmean(average_precision(...))``: lists without relevant rows are left out.

Calibration (what an analyst needs before reading scores as probabilities)
    * ``expected_calibration_error`` — ``ECE = Σ_b (n_b / N) · |mean p_b − mean y_b|``
      over bins *b* of the predicted probability: how far, on average over people, the
      predicted P(placement lasts) is from the observed rate among people given a similar
      prediction. 0 is perfectly calibrated. Bins are equal-width on [0, 1]
      (``"uniform"``; p = 1 falls in the last bin) or hold equal numbers of predictions
      (``"quantile"``, edges at the quantiles of p; tied predictions stay together).
    * ``reliability_table`` — the per-bin figures behind the ECE, for a reliability plot.

Congestion (what happens to employers when many seekers see the same vacancies)
    * ``gini`` — ``G = Σ_i Σ_j |x_i − x_j| / (2 n² mean(x))``: 0 when everyone gets the
      same, approaching 1 when one gets everything (the maximum for *n* values is
      (n − 1) / n).
    * ``position_weights`` — the exposure model: a seeker gives a row at rank *r* the
      attention ``1 / log2(r + 1)`` if r ≤ k and 0 beyond their first screen of *k* rows
      (the DCG discount, so rank 1 gets 1).
    * ``exposure_by`` — total attention each vacancy (or each seeker, in employers'
      lists) receives over all lists.
    * ``congestion_summary`` — exposure inequality between vacancies, coverage, and the
      expected applicants per opening under a simple application model (see there).

Fairness (what an analyst checks across groups of job seekers)
    * ``group_rates`` — per group (and per intersection of two attributes) the mean of a
      per-seeker value, its ratio to the best-off sizeable group, a bootstrap confidence
      interval for that ratio and the four-fifths rule (ratio ≥ 0.8).
    * ``selection_rate_ratios`` and ``exposure_ratios`` — the same for being selected and
      for exposure received.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy import sparse

OVERSUBSCRIBED = 5
"""A vacancy is oversubscribed when it expects more than this many applicants per opening.

Five applicants per opening is where an employer can no longer look at every application
with care, and where most applicants are rejected whatever their fit.
"""

APPLY_PROBABILITY_TOP = 0.5
"""Probability that a seeker applies to the vacancy at rank 1 of their list.

Lower ranks are applied to in proportion to their attention: 0.5 · ``position_weights``.
"""

MIN_GROUP_SIZE = 30
"""Smallest group whose rate is compared with others; smaller rates are too noisy."""

FOUR_FIFTHS = 0.8
"""The four-fifths rule: a group's rate should be at least 80 % of the best group's rate."""

_BOOTSTRAP_CELLS_PER_CHUNK = 2_000_000  # caps memory of the (replicates × buckets) count matrix


# --------------------------------------------------------------------------- validation


def _as_group(group) -> np.ndarray:
    group = np.asarray(group)
    if group.ndim != 1:
        raise ValueError(f"group: must be one-dimensional, got shape {group.shape}")
    if group.size and group.dtype.kind not in "iu":
        raise ValueError(f"group: must hold integer group ids, got dtype {group.dtype}")
    group = group.astype(np.int64)
    if group.size and group.min() < 0:
        raise ValueError(f"group: ids must be at least 0, got {group.min()}")
    return group


def _as_finite(values, name: str, n: int | None = None) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional, got shape {values.shape}")
    if n is not None and len(values) != n:
        raise ValueError(f"{name}: must have one value per row ({n}), got {len(values)}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: must be finite, got NaN or infinity")
    return values


def _as_binary(values, name: str, n: int | None = None) -> np.ndarray:
    raw = np.asarray(values)
    if raw.dtype == bool:
        flags = raw
    else:
        numbers = _as_finite(raw, name, n)
        if not np.all((numbers == 0) | (numbers == 1)):
            raise ValueError(f"{name}: must be boolean or 0/1")
        flags = numbers == 1
    if flags.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional, got shape {flags.shape}")
    if n is not None and len(flags) != n:
        raise ValueError(f"{name}: must have one value per row ({n}), got {len(flags)}")
    return flags


def _check_k(k) -> int:
    if int(k) != k or k < 1:
        raise ValueError(f"k: must be an integer of at least 1, got {k}")
    return int(k)


def _resolve_n_groups(group: np.ndarray, n_groups) -> int:
    needed = int(group.max()) + 1 if group.size else 0
    if n_groups is None:
        return needed
    if int(n_groups) != n_groups or n_groups < needed:
        raise ValueError(f"n_groups: must be an integer of at least {needed} (largest group id + 1), "
                         f"got {n_groups}")
    return int(n_groups)


def _check_probability(values, name: str, n: int | None = None) -> np.ndarray:
    values = _as_finite(values, name, n)
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(f"{name}: must lie in [0, 1], got values in [{values.min()}, {values.max()}]")
    return values


# --------------------------------------------------------------------------- ranking


def _ranked_order(group: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions sorted by group then descending score, and the rank of each sorted row.

    ``np.lexsort`` is stable, so equal scores keep their input order.
    """
    order = np.lexsort((-score, group))
    sorted_group = group[order]
    rank = np.arange(1, len(order) + 1) - np.searchsorted(sorted_group, sorted_group, side="left")
    return order, rank


def rank_within(group, score) -> np.ndarray:
    """Rank of each row within its group, 1 for the highest score.

    Parameters
    ----------
    group : array of int
        Group id of each row (for instance the seeker whose list the row is in), ≥ 0.
    score : array of float
        Score of each row; higher ranks first.

    Returns
    -------
    np.ndarray of int64
        1-based rank of each row, aligned with the input order. Rows with equal scores in
        the same group are ranked in their input order.
    """
    group = _as_group(group)
    score = _as_finite(score, "score", len(group))
    order, rank = _ranked_order(group, score)
    ranks = np.empty(len(group), dtype=np.int64)
    ranks[order] = rank
    return ranks


def _discounted_sum_within(group: np.ndarray, sort_by: np.ndarray, gain: np.ndarray, k: int,
                           n_groups: int) -> np.ndarray:
    """Σ gain / log2(rank + 1) over each group's top *k* rows when ranked by *sort_by*."""
    order, rank = _ranked_order(group, sort_by)
    in_top = rank <= k
    discounted = gain[order][in_top] / np.log2(rank[in_top] + 1.0)
    return np.bincount(group[order][in_top], weights=discounted, minlength=n_groups)


def ndcg_at_k(group, score, gain, k: int = 10, n_groups: int | None = None) -> np.ndarray:
    """Normalised discounted cumulative gain of each group's top *k*.

    Parameters
    ----------
    group : array of int
        List (group) id of each row, ≥ 0.
    score : array of float
        The model's score; each list is ranked by it, highest first, ties in input order.
    gain : array of float
        How good each row truly is, ≥ 0 (for instance 1 if the placement lasted).
    k : int
        Length of the screen that counts.
    n_groups : int, optional
        Length of the result; defaults to ``group.max() + 1``.

    Returns
    -------
    np.ndarray of float
        ``DCG@k / ideal DCG@k`` per group, in [0, 1]; NaN for groups with no rows or
        with ideal DCG 0 (no gain to find).
    """
    group = _as_group(group)
    score = _as_finite(score, "score", len(group))
    gain = _as_finite(gain, "gain", len(group))
    if gain.size and gain.min() < 0:
        raise ValueError(f"gain: must be at least 0, got {gain.min()}")
    k = _check_k(k)
    n_groups = _resolve_n_groups(group, n_groups)
    dcg = _discounted_sum_within(group, score, gain, k, n_groups)
    ideal = _discounted_sum_within(group, gain, gain, k, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndcg = dcg / ideal
    ndcg[ideal <= 0] = np.nan
    # Float rounding may nudge a perfect ranking a hair above 1.
    return np.minimum(ndcg, 1.0)


def recall_at_k(group, score, relevant, k: int = 10, n_groups: int | None = None) -> np.ndarray:
    """Share of each group's relevant rows that are ranked in its top *k*.

    Parameters
    ----------
    group : array of int
        List (group) id of each row, ≥ 0.
    score : array of float
        The model's score; highest first, ties in input order.
    relevant : array of bool or 0/1
        Whether each row is relevant (for instance: the placement lasted).
    k : int
        Length of the screen that counts.
    n_groups : int, optional
        Length of the result; defaults to ``group.max() + 1``.

    Returns
    -------
    np.ndarray of float
        Per group, relevant rows at rank ≤ k divided by all relevant rows; NaN for groups
        without relevant rows.
    """
    group = _as_group(group)
    score = _as_finite(score, "score", len(group))
    relevant = _as_binary(relevant, "relevant", len(group))
    k = _check_k(k)
    n_groups = _resolve_n_groups(group, n_groups)
    rank = rank_within(group, score)
    found = np.bincount(group, weights=(relevant & (rank <= k)).astype(np.float64), minlength=n_groups)
    total = np.bincount(group, weights=relevant.astype(np.float64), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, found / total, np.nan)


def average_precision(group, score, relevant, n_groups: int | None = None) -> np.ndarray:
    """Average precision of each group's full ranked list.

    ``AP = (1/R) Σ_{relevant rows} precision at the row's rank``, where precision at rank
    *r* is the share of relevant rows among the first *r*. Mean average precision (MAP)
    is ``np.nanmean`` of the result, which leaves out lists without relevant rows.

    Parameters
    ----------
    group : array of int
        List (group) id of each row, ≥ 0.
    score : array of float
        The model's score; highest first, ties in input order (``sklearn`` instead
        counts tied rows together, so the two agree when scores are distinct).
    relevant : array of bool or 0/1
        Whether each row is relevant.
    n_groups : int, optional
        Length of the result; defaults to ``group.max() + 1``.

    Returns
    -------
    np.ndarray of float
        AP per group in (0, 1]; NaN for groups without relevant rows.
    """
    group = _as_group(group)
    score = _as_finite(score, "score", len(group))
    relevant = _as_binary(relevant, "relevant", len(group))
    n_groups = _resolve_n_groups(group, n_groups)
    order, rank = _ranked_order(group, score)
    sorted_group = group[order]
    sorted_relevant = relevant[order].astype(np.int64)
    # Running count of relevant rows restarted at each group: global cumsum minus its value
    # just before the group's first row.
    running = np.cumsum(sorted_relevant)
    before_group = (running - sorted_relevant)[np.searchsorted(sorted_group, sorted_group, side="left")]
    hits_so_far = running - before_group
    precision_at_hit = np.where(sorted_relevant == 1, hits_so_far / rank, 0.0)
    summed = np.bincount(sorted_group, weights=precision_at_hit, minlength=n_groups)
    total = np.bincount(sorted_group, weights=sorted_relevant.astype(np.float64), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / total, np.nan)


# --------------------------------------------------------------------------- calibration


def _calibration_bins(probability, outcome, n_bins: int, strategy: str):
    """Per bin: low edge, high edge, count, sum of predictions and sum of outcomes."""
    probability = _check_probability(probability, "probability")
    outcome = _check_probability(outcome, "outcome", len(probability))
    if probability.size == 0:
        raise ValueError("probability: must hold at least one prediction")
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins: must be an integer of at least 1, got {n_bins}")
    n_bins = int(n_bins)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.quantile(probability, np.linspace(0.0, 1.0, n_bins + 1))
    else:
        raise ValueError(f"strategy: expected 'uniform' or 'quantile', got {strategy!r}")
    # Interior edges only: the lowest and highest predictions then fall in the first and
    # last bin, and p = 1 lands in the last uniform bin rather than a bin of its own.
    bin_of = np.searchsorted(edges[1:-1], probability, side="right")
    count = np.bincount(bin_of, minlength=n_bins)
    sum_p = np.bincount(bin_of, weights=probability, minlength=n_bins)
    sum_y = np.bincount(bin_of, weights=outcome, minlength=n_bins)
    return edges[:-1], edges[1:], count, sum_p, sum_y


def expected_calibration_error(probability, outcome, n_bins: int = 15, strategy: str = "uniform") -> float:
    """Expected calibration error: ``Σ_b (n_b / N) · |mean p_b − mean y_b|``.

    Parameters
    ----------
    probability : array of float in [0, 1]
        Predicted probabilities (for instance P(placement lasts)).
    outcome : array of float in [0, 1]
        What happened, usually 0 or 1.
    n_bins : int
        Number of bins.
    strategy : {"uniform", "quantile"}
        Equal-width bins on [0, 1], or bins holding equal numbers of predictions.

    Returns
    -------
    float
        The prediction-weighted mean gap between predicted and observed rates, in [0, 1].
    """
    _, _, count, sum_p, sum_y = _calibration_bins(probability, outcome, n_bins, strategy)
    return float(np.abs(sum_p - sum_y).sum() / count.sum())


def reliability_table(probability, outcome, n_bins: int = 15, strategy: str = "uniform") -> pd.DataFrame:
    """Per-bin mean prediction and observed rate, the data of a reliability plot.

    Parameters are those of :func:`expected_calibration_error`.

    Returns
    -------
    pd.DataFrame
        One row per non-empty bin, in order of the bins, with columns ``bin_low``,
        ``bin_high`` (the bin's edges), ``n`` (predictions in it), ``mean_predicted`` and
        ``observed_rate`` (mean outcome).
    """
    low, high, count, sum_p, sum_y = _calibration_bins(probability, outcome, n_bins, strategy)
    used = count > 0
    return pd.DataFrame({
        "bin_low": low[used], "bin_high": high[used], "n": count[used],
        "mean_predicted": sum_p[used] / count[used], "observed_rate": sum_y[used] / count[used],
    })


# --------------------------------------------------------------------------- exposure and congestion


def gini(values) -> float:
    """Gini coefficient ``G = Σ_i Σ_j |x_i − x_j| / (2 n² mean(x))`` of non-negative values.

    Parameters
    ----------
    values : array of float, ≥ 0
        For instance the exposure per opening of each vacancy.

    Returns
    -------
    float
        0 when all values are equal (including all zero); up to (n − 1) / n when one value
        holds everything. Scaling all values leaves it unchanged.
    """
    values = _as_finite(values, "values")
    if values.size == 0:
        raise ValueError("values: must hold at least one value")
    if values.min() < 0:
        raise ValueError(f"values: must be at least 0, got {values.min()}")
    if values.max() == values.min():
        return 0.0
    ordered = np.sort(values)
    n = len(ordered)
    # Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n − 1) x_(i) over the sorted values (i from 1),
    # which avoids the n² pairs.
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    return float(max(0.0, (weights @ ordered) / (n * ordered.sum())))


def position_weights(rank, k: int = 10) -> np.ndarray:
    """Attention a seeker gives to the row at each rank: ``1 / log2(rank + 1)`` up to *k*, else 0.

    Parameters
    ----------
    rank : array of int, ≥ 1
        1-based ranks.
    k : int
        Rows beyond rank *k* are not looked at.

    Returns
    -------
    np.ndarray of float
        1 for rank 1, falling with rank, 0 beyond *k*.
    """
    rank = np.asarray(rank)
    if rank.size and (rank.dtype.kind not in "iu" or rank.min() < 1):
        raise ValueError("rank: must be integers of at least 1")
    k = _check_k(k)
    weight = 1.0 / np.log2(rank.astype(np.float64) + 1.0)
    return np.where(rank <= k, weight, 0.0)


def exposure_by(target, rank, n_targets: int, k: int = 10, weight=None) -> np.ndarray:
    """Total attention each target receives over all lists it appears in.

    Parameters
    ----------
    target : array of int
        The item shown in each row: a vacancy in seekers' lists, a seeker in employers'.
    rank : array of int
        The row's 1-based rank in its list.
    n_targets : int
        Number of targets; the result's length.
    k : int
        Screen length of the exposure model (see :func:`position_weights`).
    weight : array of float, optional
        Multiplies each row's attention, for instance the list owner's weight.

    Returns
    -------
    np.ndarray of float
        Σ of ``position_weights(rank, k) · weight`` per target.
    """
    target = np.asarray(target)
    if target.ndim != 1 or (target.size and target.dtype.kind not in "iu"):
        raise ValueError("target: must be a one-dimensional array of integer ids")
    if target.size and (target.min() < 0 or target.max() >= n_targets):
        raise ValueError(f"target: ids must lie in [0, n_targets={n_targets}), "
                         f"got [{target.min()}, {target.max()}]")
    rank = np.asarray(rank)
    if rank.shape != target.shape:
        raise ValueError(f"rank: must have one value per row ({len(target)}), got shape {rank.shape}")
    attention = position_weights(rank, k)
    if weight is not None:
        attention = attention * _as_finite(weight, "weight", len(target))
    return np.bincount(target, weights=attention, minlength=n_targets)


def congestion_summary(seeker, vacancy, score, openings, k: int = 10) -> dict:
    """How concentrated seekers' attention and applications are over the open vacancies.

    Each seeker's list is their rows ranked by *score*. The application model: a seeker
    applies to the vacancy at rank *r* with probability
    ``APPLY_PROBABILITY_TOP · position_weights(r, k)``, so 0.5 at rank 1, about 0.32 at
    rank 2, and 0 beyond *k*; expected applicants of a vacancy sum this over seekers.

    Parameters
    ----------
    seeker, vacancy : array of int
        The pair in each row of the candidate graph.
    score : array of float
        The model's score of each pair.
    openings : array of int, ≥ 0
        Openings of each vacancy (its length is the number of vacancies).
    k : int
        Screen length: seekers look at their top *k*.

    Returns
    -------
    dict
        ``exposure_gini``: Gini over open vacancies (≥ 1 opening) of attention per opening.
        Per opening because a vacancy with ten openings should draw ten times the
        attention of one with a single opening; only the excess is inequality.
        ``vacancy_coverage``: share of open vacancies in at least one seeker's top *k*.
        ``applicants_per_opening_mean``, ``_p90``, ``_max``: expected applicants per
        opening over open vacancies. ``share_openings_oversubscribed``: share of all
        openings at vacancies expecting more than ``OVERSUBSCRIBED`` (5) applicants per
        opening. All NaN when no vacancy has an opening.
    """
    seeker = _as_group(seeker)
    vacancy = np.asarray(vacancy)
    score = _as_finite(score, "score", len(seeker))
    if vacancy.shape != seeker.shape:
        raise ValueError(f"vacancy: must have one value per row ({len(seeker)}), got shape {vacancy.shape}")
    openings = np.asarray(openings)
    if openings.ndim != 1 or (openings.size and (openings.dtype.kind not in "iu" or openings.min() < 0)):
        raise ValueError("openings: must be a one-dimensional array of integers ≥ 0")
    k = _check_k(k)
    n_vacancies = len(openings)
    rank = rank_within(seeker, score)
    exposure = exposure_by(vacancy, rank, n_vacancies, k)
    expected_applicants = APPLY_PROBABILITY_TOP * exposure
    seen = np.bincount(vacancy[rank <= k], minlength=n_vacancies) > 0
    is_open = openings >= 1
    if not is_open.any():
        keys = ("exposure_gini", "vacancy_coverage", "applicants_per_opening_mean",
                "applicants_per_opening_p90", "applicants_per_opening_max", "share_openings_oversubscribed")
        return dict.fromkeys(keys, float("nan"))
    open_openings = openings[is_open].astype(np.float64)
    per_opening = expected_applicants[is_open] / open_openings
    oversubscribed = per_opening > OVERSUBSCRIBED
    return {
        "exposure_gini": gini(exposure[is_open] / open_openings),
        "vacancy_coverage": float(seen[is_open].mean()),
        "applicants_per_opening_mean": float(per_opening.mean()),
        "applicants_per_opening_p90": float(np.quantile(per_opening, 0.9)),
        "applicants_per_opening_max": float(per_opening.max()),
        "share_openings_oversubscribed": float(open_openings[oversubscribed].sum() / open_openings.sum()),
    }


# --------------------------------------------------------------------------- fairness


def _level_codes(column) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's level and the sorted level names (values as strings)."""
    labels = np.asarray(column, dtype=object).astype(str)
    names, codes = np.unique(labels, return_inverse=True)
    return codes.astype(np.int64), names


def _attributes(groups: pd.DataFrame, columns: list[str], intersections: bool):
    """(name, level code per row, level names) for each column and each pair of columns."""
    coded = {column: _level_codes(groups[column]) for column in columns}
    attributes = [(column, *coded[column]) for column in columns]
    if intersections:
        for first, second in itertools.combinations(columns, 2):
            codes_a, names_a = coded[first]
            codes_b, names_b = coded[second]
            # Only the combinations that occur become levels, in sorted order.
            present, codes = np.unique(codes_a * len(names_b) + codes_b, return_inverse=True)
            names = np.array([f"{names_a[c // len(names_b)]}×{names_b[c % len(names_b)]}" for c in present])
            attributes.append((f"{first}×{second}", codes.astype(np.int64), names))
    return attributes


def _buckets(keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """First row of each distinct combination of *keys* (in sorted order) and its row count.

    Rows in one bucket are interchangeable for every group rate, so the bootstrap only
    needs how often each bucket is drawn. Buckets come out sorted by key, which makes
    everything downstream independent of the row order.
    """
    order = np.lexsort(keys[::-1])
    changes = np.zeros(len(order), dtype=bool)
    changes[0] = True
    for key in keys:
        changes[1:] |= key[order][1:] != key[order][:-1]
    starts = np.flatnonzero(changes)
    counts = np.diff(np.append(starts, len(order)))
    return order[starts], counts


def _ratios_to_best(rates: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Each eligible rate over the highest eligible rate of its row; NaN elsewhere.

    *rates* is (replicates × levels); a best rate of 0 gives NaN (no group is favoured).
    """
    if not eligible.any():
        return np.full(rates.shape, np.nan)
    best = np.fmax.reduce(rates[:, eligible], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = rates / best[:, None]
    ratios[:, ~eligible] = np.nan
    ratios[~(best > 0)] = np.nan
    return ratios


def _bootstrap_ratios(value, attributes, eligible, n_boot, rng) -> np.ndarray:
    """Ratio to the best group in each of *n_boot* resamples of the seekers, (n_boot × levels).

    Resampling n seekers with replacement draws each bucket of identical seekers a
    Multinomial(n, bucket share) number of times, so the replicates need only a
    (replicates × buckets) count matrix and one sparse product with the bucket → level
    indicator of every attribute at once.
    """
    first_rows, bucket_n = _buckets([codes for _, codes, _ in attributes] + [value])
    n_levels = [len(names) for _, _, names in attributes]
    offsets = np.concatenate([[0], np.cumsum(n_levels)])
    n_buckets = len(first_rows)
    columns = np.concatenate([codes[first_rows] + offset for (_, codes, _), offset in zip(attributes, offsets)])
    rows = np.tile(np.arange(n_buckets), len(attributes))
    indicator = sparse.csr_array((np.ones(len(rows)), (rows, columns)), shape=(n_buckets, offsets[-1]))
    bucket_value = value[first_rows]
    share = bucket_n / bucket_n.sum()
    chunk = max(1, _BOOTSTRAP_CELLS_PER_CHUNK // n_buckets)
    ratios = np.empty((n_boot, offsets[-1]))
    for start in range(0, n_boot, chunk):
        draws = rng.multinomial(len(value), share, size=min(chunk, n_boot - start)).astype(np.float64)
        counts = (indicator.T @ draws.T).T
        totals = (indicator.T @ (draws * bucket_value).T).T
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = totals / counts
        for a in range(len(attributes)):
            level = slice(offsets[a], offsets[a + 1])
            ratios[start:start + len(draws), level] = _ratios_to_best(rates[:, level], eligible[level])
    return ratios


def group_rates(value, groups: pd.DataFrame, columns: list[str], *, intersections: bool = True,
                n_boot: int = 500, confidence: float = 0.95, random_state=0,
                min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Mean of a per-seeker value by group, its ratio to the best group, and the four-fifths rule.

    Parameters
    ----------
    value : array of float
        One value per seeker, for instance 1.0 if selected or the exposure received.
    groups : pd.DataFrame
        One row per seeker, aligned with *value* by position; group columns may be
        strings, categoricals, bools or numbers (levels are their string forms).
    columns : list of str
        The columns to report on.
    intersections : bool
        Also report every pair of columns, as levels such as ``"female×18-26"``.
    n_boot : int
        Bootstrap resamples for the confidence interval of the ratio; 0 skips it.
    confidence : float
        Coverage of the percentile interval, in (0, 1).
    random_state : int or np.random.Generator
        Seed of the bootstrap; the same seed gives the same intervals.
    min_group_size : int
        Groups with fewer seekers get no ratio and ``too_small=True``; the best rate is
        taken over the other groups only.

    Returns
    -------
    pd.DataFrame
        One row per attribute and level (levels sorted) with columns ``attribute``,
        ``group``, ``n``, ``rate`` (mean value), ``ratio`` (rate over the highest rate
        among the attribute's groups of at least *min_group_size*), ``ratio_low`` and
        ``ratio_high`` (bootstrap percentile interval; seekers are resampled with
        replacement and the best group is chosen again in each resample),
        ``four_fifths_ok`` (ratio ≥ 0.8; missing when the ratio is undefined) and
        ``too_small``. The result does not depend on the order of the rows.
    """
    value = _as_finite(value, "value")
    if not isinstance(groups, pd.DataFrame):
        raise ValueError(f"groups: must be a pandas DataFrame, got {type(groups).__name__}")
    if len(groups) != len(value):
        raise ValueError(f"groups: must have one row per value ({len(value)}), got {len(groups)}")
    if len(value) == 0:
        raise ValueError("value: must hold at least one seeker")
    columns = list(columns)
    if not columns:
        raise ValueError("columns: must name at least one column")
    missing = [column for column in columns if column not in groups.columns]
    if missing:
        raise ValueError(f"columns: not in groups: {missing}")
    if int(n_boot) != n_boot or n_boot < 0:
        raise ValueError(f"n_boot: must be an integer of at least 0, got {n_boot}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must lie strictly between 0 and 1, got {confidence}")
    if min_group_size < 1:
        raise ValueError(f"min_group_size: must be at least 1, got {min_group_size}")

    attributes = _attributes(groups, columns, intersections)
    frames = []
    for name, codes, levels in attributes:
        n = np.bincount(codes, minlength=len(levels))
        rate = np.bincount(codes, weights=value, minlength=len(levels)) / n
        frames.append(pd.DataFrame({"attribute": name, "group": levels, "n": n, "rate": rate}))
    table = pd.concat(frames, ignore_index=True)
    eligible = table["n"].to_numpy() >= min_group_size
    offsets = np.cumsum([0] + [len(frame) for frame in frames])
    ratio = np.concatenate([
        _ratios_to_best(frame["rate"].to_numpy()[None, :], eligible[offsets[a]:offsets[a + 1]])[0]
        for a, frame in enumerate(frames)
    ])
    if n_boot:
        replicates = _bootstrap_ratios(value, attributes, eligible, int(n_boot), np.random.default_rng(random_state))
        tail = (1 - confidence) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of small groups
            low, high = np.nanquantile(replicates, [tail, 1 - tail], axis=0)
    else:
        low = high = np.full(len(table), np.nan)
    table["ratio"] = ratio
    table["ratio_low"] = low
    table["ratio_high"] = high
    table["four_fifths_ok"] = pd.array(np.where(np.isnan(ratio), None, ratio >= FOUR_FIFTHS), dtype="boolean")
    table["too_small"] = ~eligible
    return table


def selection_rate_ratios(selected, groups: pd.DataFrame, columns: list[str], **kw) -> pd.DataFrame:
    """Selection rate by group (share of seekers selected or placed); see :func:`group_rates`.

    *selected* is boolean or 0/1 per seeker; keyword arguments go to :func:`group_rates`.
    """
    return group_rates(_as_binary(selected, "selected").astype(np.float64), groups, columns, **kw)


def exposure_ratios(exposure, groups: pd.DataFrame, columns: list[str], **kw) -> pd.DataFrame:
    """Mean exposure received by group (e.g. from :func:`exposure_by`); see :func:`group_rates`.

    *exposure* is non-negative per seeker; keyword arguments go to :func:`group_rates`.
    """
    exposure = _as_finite(exposure, "exposure")
    if exposure.size and exposure.min() < 0:
        raise ValueError(f"exposure: must be at least 0, got {exposure.min()}")
    return group_rates(exposure, groups, columns, **kw)
