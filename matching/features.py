"""Pair features for (seeker, vacancy) pairs, vectorised over pairs.

Fit is about meeting requirements. For each soft skill the passport gives a level ``x``
with standard error ``se`` and the vacancy asks level ``r``. Treating the true level as
``T ~ Normal(x, se²)``:

* probability of meeting the requirement: ``P(T ≥ r − tolerance) = Φ((x − r + tolerance) / se)``;
* expected shortfall: ``E[max(0, r − T)] = d·Φ(d/se) + se·φ(d/se)`` with ``d = r − x``;
* expected surplus:   ``E[max(0, T − r)] = −d·Φ(−d/se) + se·φ(d/se)``, capped at one level
  because being far above a requirement adds little.

Each is averaged with the vacancy's importance weights, overall and per skill cluster.

Beyond what the vacancy asks, two features compare the seeker with the vacancy's occupation
profile (public ESCO data): the essential skills of the occupation the seeker lacks, whether
or not the employer listed them, and education against the occupation's usual level. Last
come the passport's own soft-skill levels, because some skills may matter in every job
whether or not a vacancy asks for them; the rule-based scorer ignores these columns, the
learned model finds out from outcomes whether they matter.

The same feature schema feeds the rule-based scorer and the learned model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from passport.geography import haversine_km, road_km
from passport.population import SeekerArrays, VacancyArrays
from passport.taxonomy import Taxonomy

FEATURE_SCHEMA_VERSION = "pair-features/2"
REQUIREMENT_TOLERANCE = 0.25
# A plain Python float: a NumPy float64 scalar here would upcast every float32 array.
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))

CORE_FEATURES = (
    "fit_p_meet",          # importance-weighted mean probability of meeting each requirement
    "fit_shortfall",       # importance-weighted mean expected shortfall (levels)
    "fit_surplus",         # importance-weighted mean expected surplus, capped at 1 level
    "must_have_missing",   # must-have hard skills the seeker lacks (0 after knock-outs)
    "nice_to_have_coverage",
    "education_gap",       # seeker EQF minus the vacancy's preferred EQF
    "language_gap",        # seeker Dutch CEFR rank minus the vacancy's minimum
    "distance_km",         # estimated road distance
    "travel_ratio",        # distance over the seeker's own maximum
    "hours_overlap",       # share of the vacancy's hours range the seeker accepts
    "sector_match",        # 1 if the seeker wants to work in this sector
)


OCCUPATION_FEATURES = (
    "occupation_essential_missing",  # essential skills of the vacancy's occupation the seeker lacks
    "occupation_eqf_gap",            # seeker EQF minus the occupation's usual EQF
)


def feature_names(taxonomy: Taxonomy) -> tuple[str, ...]:
    """Full feature schema: core features, ``p_meet_<cluster>`` per soft-skill cluster, the
    occupation features, then ``level_<skill>`` per soft skill in taxonomy order."""
    return (CORE_FEATURES + tuple(f"p_meet_{c}" for c in taxonomy.clusters) + OCCUPATION_FEATURES
            + tuple(f"level_{skill}" for skill in taxonomy.skill_ids))


def _normal_pdf(z):
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


# Abramowitz & Stegun 26.2.17: Φ(z) = 1 − φ(z)·t·P(t), t = 1 / (1 + 0.2316419·|z|) for z ≥ 0,
# absolute error below 7.5e-8 — under float32 resolution. It reuses φ(z), which the
# shortfall needs anyway, and is about three times faster than scipy's float64 ndtr,
# which was 70 % of the time of scoring candidate pairs.
_AS_P = 0.2316419
_AS_B = (0.319381530, -0.356563782, 1.781477937, -1.821255978, 1.330274429)


def normal_cdf_and_pdf(z):
    """(Φ(z), φ(z)) in the dtype of *z*, with absolute error below 1e-7."""
    z = np.asarray(z)
    pdf = _normal_pdf(z)
    # In-place Horner steps: this runs on every (pair, skill) cell, and each avoided
    # temporary is a pass over memory saved.
    t = np.asarray(np.abs(z))  # 0-d input gives a scalar; in-place steps need an array
    t *= _AS_P
    t += 1.0
    np.reciprocal(t, out=t)
    b1, b2, b3, b4, b5 = _AS_B
    poly = t * b5
    for b in (b4, b3, b2, b1):
        poly += b
        poly *= t
    poly *= pdf  # the upper tail 1 − Φ(|z|)
    cdf = np.where(z >= 0, 1.0 - poly, poly)
    return cdf.astype(z.dtype, copy=False), pdf


def skill_fit_terms(levels, se, required, tolerance: float = REQUIREMENT_TOLERANCE):
    """Per-skill probability of meeting, expected shortfall and capped expected surplus.

    All arguments broadcast; returns three arrays of the broadcast shape.
    """
    levels = np.asarray(levels, dtype=np.float32)
    se = np.asarray(se, dtype=np.float32)
    d = np.asarray(required, dtype=np.float32) - levels
    z = d / se
    cdf, pdf = normal_cdf_and_pdf(z)
    p_meet, _ = normal_cdf_and_pdf((np.float32(tolerance) - d) / se)
    # Both expectations are non-negative; in float32 the two terms can cancel to −1e-8.
    shortfall = np.maximum(d * cdf + se * pdf, 0.0)
    surplus = np.clip(-d * (1.0 - cdf) + se * pdf, 0.0, 1.0)
    return p_meet, shortfall, surplus


def pair_features(seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index, vacancy_index,
                  taxonomy: Taxonomy, *, distance_km=None) -> np.ndarray:
    """Feature matrix of shape ``(n_pairs, len(feature_names(taxonomy)))``, float32.

    Parameters
    ----------
    seekers, vacancies : population arrays (observed passports, never the ground truth).
    seeker_index, vacancy_index : array-like of shape (n_pairs,)
    distance_km : array-like of shape (n_pairs,), optional
        Road distances already computed by candidate generation.
    """
    s = np.asarray(seeker_index)
    v = np.asarray(vacancy_index)
    if distance_km is None:
        distance_km = road_km(haversine_km(seekers.lat[s], seekers.lon[s], vacancies.lat[v], vacancies.lon[v]))
    distance_km = np.asarray(distance_km, dtype=np.float32)
    out = np.empty((len(s), len(feature_names(taxonomy))), dtype=np.float32)
    # Chunks of pairs keep the (pairs × skills) temporaries small enough to be reused by
    # the allocator; one large pass spends most of its time faulting in fresh pages.
    for lo in range(0, len(s), PAIR_CHUNK):
        hi = min(lo + PAIR_CHUNK, len(s))
        _fill_features(out[lo:hi], seekers, vacancies, s[lo:hi], v[lo:hi], taxonomy, distance_km[lo:hi])
    return out


PAIR_CHUNK = 32_768


def _fill_features(out, seekers, vacancies, s, v, taxonomy, distance_km) -> None:
    weight = vacancies.importance[v]
    weight_sum = weight.sum(axis=1)
    p_meet, shortfall, surplus = skill_fit_terms(seekers.levels[s], seekers.se[s], vacancies.required[v])
    out[:, 0] = (weight * p_meet).sum(axis=1) / weight_sum
    out[:, 1] = (weight * shortfall).sum(axis=1) / weight_sum
    out[:, 2] = (weight * surplus).sum(axis=1) / weight_sum

    has = seekers.hard[s]
    out[:, 3] = (vacancies.must_have[v] & ~has).sum(axis=1)
    nice = vacancies.nice_to_have[v]
    n_nice = nice.sum(axis=1)
    out[:, 4] = np.where(n_nice > 0, (nice & has).sum(axis=1) / np.maximum(n_nice, 1), 1.0)
    out[:, 5] = seekers.eqf[s].astype(np.float32) - vacancies.min_eqf[v]
    out[:, 6] = seekers.dutch_cefr[s].astype(np.float32) - vacancies.min_dutch_cefr[v]
    out[:, 7] = distance_km
    out[:, 8] = distance_km / seekers.max_travel_km[s]
    overlap = (np.minimum(seekers.hours_max[s], vacancies.hours_max[v])
               - np.maximum(seekers.hours_min[s], vacancies.hours_min[v])).astype(np.float32)
    span = np.maximum(vacancies.hours_max[v] - vacancies.hours_min[v], 1).astype(np.float32)
    out[:, 9] = np.clip(overlap / span, 0.0, 1.0)
    out[:, 10] = seekers.sector_pref[s, vacancies.sector[v]]

    cluster = taxonomy.skill_cluster_index
    n_clusters = len(taxonomy.clusters)
    for c in range(n_clusters):
        in_cluster = cluster == c
        w = weight[:, in_cluster]
        w_sum = w.sum(axis=1)
        # A vacancy that gives a cluster no weight is indifferent to it: count it as met.
        out[:, len(CORE_FEATURES) + c] = np.where(
            w_sum > 0, (w * p_meet[:, in_cluster]).sum(axis=1) / np.maximum(w_sum, 1e-9), 1.0)

    at = len(CORE_FEATURES) + n_clusters
    occupation = vacancies.occupation[v]
    out[:, at] = (_occupation_essential(taxonomy)[occupation] & ~has).sum(axis=1)
    out[:, at + 1] = seekers.eqf[s].astype(np.float32) - _occupation_eqf(taxonomy)[occupation]
    out[:, at + 2:] = seekers.levels[s]


def _occupation_essential(taxonomy: Taxonomy) -> np.ndarray:
    return np.asarray(taxonomy.occupation_essential, dtype=bool)


def _occupation_eqf(taxonomy: Taxonomy) -> np.ndarray:
    return taxonomy.occupations["eqf_level"].to_numpy(dtype=np.float32)


def pair_features_frame(seekers, vacancies, seeker_index, vacancy_index, taxonomy) -> pd.DataFrame:
    """:func:`pair_features` as a DataFrame with named columns (for analysts and tests)."""
    return pd.DataFrame(pair_features(seekers, vacancies, seeker_index, vacancy_index, taxonomy),
                        columns=list(feature_names(taxonomy)))
