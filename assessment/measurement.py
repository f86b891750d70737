"""The measurement model: from standardised scale scores to soft-skill levels with honest SEs.

Model (a confirmatory factor model, written in ``data/assessment/``)::

    z      ~ N(0, Φ)                      soft skills, standardised in the population
    θ_k    = Λ_k · z + u_k,  u_k ~ N(0, ψ_k)   what scale k measures; ψ_k = 1 − Λ_k Φ Λ_kᵀ
    y_k    = θ_k + e_k,      e_k ~ N(0, ε_k²)  the scale's observed score, ε_k its error

Φ comes from the population model (a general factor plus a factor per cluster), Λ from the
loadings table with its rationale, ε from each instrument's measured reliability. The
posterior of z given the observed scales is Gaussian and exact for this model:

    P = Φ⁻¹ + Λᵀ W Λ,   mean = P⁻¹ Λᵀ W y,   W = diag(1 / (ψ + ε²))

so the standard error of every skill follows from the instruments' measurement error
and from how directly each scale measures the skill; nothing is invented. A scale that
was not played (or was unscorable) simply has W = 0. The posterior is computed for many
sessions at once as a batch of small linear systems.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from passport.errors import TaxonomyError
from passport.resources import data_dir
from passport.taxonomy import MASTERY_MAX, MASTERY_MIN, Taxonomy

# A scale counts as measuring a skill directly (and so makes it "measured") at this loading.
DIRECT_LOADING = 0.5


@dataclass(frozen=True, eq=False)
class MeasurementModel:
    version: str
    skill_ids: tuple[str, ...]
    scale_ids: tuple[str, ...]
    loadings: np.ndarray          # (scales, skills)
    specific_variance: np.ndarray  # ψ, (scales,)
    prior_correlation: np.ndarray  # Φ, (skills, skills)
    mean_level: float
    sd_level: float
    rationale: pd.DataFrame

    @property
    def direct(self) -> np.ndarray:
        """(scales, skills): which scale measures which skill directly."""
        return np.abs(self.loadings) >= DIRECT_LOADING

    def scale_index(self, scale_id: str) -> int:
        return self.scale_ids.index(scale_id)

    def simulate_scale_traits(self, true_levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """θ for people with the given true levels: what each scale's instrument responds to."""
        z = (np.asarray(true_levels, dtype=float) - self.mean_level) / self.sd_level
        specific = rng.normal(size=(len(z), len(self.scale_ids))) * np.sqrt(self.specific_variance)
        return z @ self.loadings.T + specific

    def posterior(self, observed: np.ndarray, error_variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and SD of the standardised skills, for many sessions at once.

        ``observed`` and ``error_variance`` are (sessions, scales); a NaN observation or an
        infinite error variance means the scale gives no information for that session.
        """
        usable = np.isfinite(observed) & np.isfinite(error_variance)
        weight = np.where(usable, 1.0 / (self.specific_variance + np.where(usable, error_variance, 1.0)), 0.0)
        y = np.where(usable, observed, 0.0)
        precision = np.linalg.inv(self.prior_correlation) + np.einsum(
            "nk,ks,kt->nst", weight, self.loadings, self.loadings, optimize=True)
        covariance = np.linalg.inv(precision)
        mean = np.einsum("nst,nt->ns", covariance, (weight * y) @ self.loadings, optimize=True)
        sd = np.sqrt(np.einsum("nss->ns", covariance))
        return mean, sd

    def to_levels(self, mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        levels = np.clip(self.mean_level + self.sd_level * mean, MASTERY_MIN, MASTERY_MAX)
        return levels, self.sd_level * sd

    def measured(self, usable: np.ndarray) -> np.ndarray:
        """(sessions, skills): a skill is measured when a scale that measures it directly was scored."""
        return (usable.astype(np.int32) @ self.direct.astype(np.int32)) > 0


def prior_correlation(taxonomy: Taxonomy, general: float, cluster: float) -> np.ndarray:
    clusters = np.asarray(taxonomy.skill_cluster_index)
    same = clusters[:, None] == clusters[None, :]
    phi = general**2 + cluster**2 * same
    np.fill_diagonal(phi, 1.0)
    return phi


@lru_cache(maxsize=4)
def _load(root: Path, taxonomy: Taxonomy) -> MeasurementModel:
    name = "assessment/population.json"
    try:
        population = json.loads((root / name).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TaxonomyError(name, f"cannot read the population model ({exc})") from exc
    for key in ("mean_level", "sd_level", "general_loading", "cluster_loading"):
        if not isinstance(population.get(key), (int, float)):
            raise TaxonomyError(name, "missing or not a number", field=key)
    table_name = "assessment/measurement_model.csv"
    path = root / table_name
    if not path.is_file():
        raise TaxonomyError(table_name, f"file not found in {root}")
    table = pd.read_csv(path, dtype={"scale_id": str, "skill_id": str, "rationale": str})
    for column in ("scale_id", "skill_id", "loading", "rationale"):
        if column not in table.columns:
            raise TaxonomyError(table_name, f"missing column {column!r}", field=column)
    unknown = ~table["skill_id"].isin(taxonomy.skill_ids)
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise TaxonomyError(table_name, f"unknown soft skill {table['skill_id'].iloc[row]!r}", row=row + 2,
                            field="skill_id")
    loading = pd.to_numeric(table["loading"], errors="coerce")
    bad = ~np.isfinite(loading) | (loading.abs() > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TaxonomyError(table_name, "loading must be a number between -1 and 1", row=row + 2, field="loading")
    if table.duplicated(["scale_id", "skill_id"]).any():
        row = int(np.flatnonzero(table.duplicated(["scale_id", "skill_id"]))[0])
        raise TaxonomyError(table_name, "scale and skill listed twice", row=row + 2, field="skill_id")
    scale_ids = tuple(pd.unique(table["scale_id"]))
    loadings = np.zeros((len(scale_ids), taxonomy.n_soft_skills))
    loadings[table["scale_id"].map(scale_ids.index).to_numpy(), table["skill_id"].map(taxonomy.skill_index).to_numpy()] = loading
    phi = prior_correlation(taxonomy, population["general_loading"], population["cluster_loading"])
    specific = 1.0 - np.einsum("ks,st,kt->k", loadings, phi, loadings)
    if (specific <= 0.01).any():
        k = int(np.argmin(specific))
        raise TaxonomyError(table_name, f"the loadings of {scale_ids[k]!r} explain more than all of its variance")
    digest = hashlib.sha256(path.read_bytes() + (root / name).read_bytes()).hexdigest()[:12]
    return MeasurementModel(
        version=f"mm/{len(scale_ids)}x{taxonomy.n_soft_skills}/{digest}", skill_ids=taxonomy.skill_ids,
        scale_ids=scale_ids, loadings=loadings, specific_variance=specific, prior_correlation=phi,
        mean_level=float(population["mean_level"]), sd_level=float(population["sd_level"]), rationale=table)


def load_measurement_model(taxonomy: Taxonomy, root: Path | None = None) -> MeasurementModel:
    return _load(Path(root or data_dir()), taxonomy)
