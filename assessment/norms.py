"""Norms: where a raw score stands in the population, and how reliable each scale is.

A norm table maps a scale's raw score to a percentile by mid-ranks of a norm group
(ties share their percentile, so discrete scores are normed fairly), from which follow the
normal-equivalent z score and the stanine. Built by a seeded, documented command
(``skillpass assessment norms``) from a simulated norm group of attentive, complete
Skillsprints; stored in ``data/norms/`` as one CSV per instrument plus ``manifest.json``
with the version, seed, size, the instrument versions and each scale's reliability.

Scoring refuses norms built for another version of an instrument: a score normed against
the wrong table would look precise and be wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from assessment.errors import AssessmentInputError
from assessment.instrument import Instrument
from passport.files import write_text_atomically
from passport.resources import data_dir

NORMS_FOLDER = "norms"
MAX_TABLE_POINTS = 401
STANINE_BOUNDS = np.array([4, 11, 23, 40, 60, 77, 89, 96]) / 100.0


@dataclass(frozen=True)
class ScaleNorm:
    scale_id: str
    raw: np.ndarray          # strictly increasing raw scores
    percentile: np.ndarray   # mid-rank share of the norm group at each raw score, 0..1
    mean: float
    sd: float
    reliability: float
    reliability_method: str
    n: int
    # Conditional error: how much larger than average the error variance is at each raw
    # score (1 on average). Scores where the task saturates carry more error in z units.
    error_factor: np.ndarray | None = None

    def error_factor_of(self, raw: np.ndarray) -> np.ndarray:
        if self.error_factor is None:
            return np.ones_like(np.asarray(raw, dtype=float))
        return np.interp(raw, self.raw, self.error_factor)

    def percentile_of(self, raw: np.ndarray) -> np.ndarray:
        # Beyond the norm group's range the share is bounded by half a person, so that
        # extreme scores stay finite on the z scale.
        floor = 0.5 / self.n
        return np.clip(np.interp(raw, self.raw, self.percentile), floor, 1 - floor)

    def z_of(self, raw: np.ndarray) -> np.ndarray:
        return ndtri(self.percentile_of(raw))

    def standard_error_of_measurement(self) -> float:
        """In raw-score units: SD·√(1 − reliability)."""
        return self.sd * float(np.sqrt(max(0.0, 1.0 - self.reliability)))


@dataclass(frozen=True, eq=False)
class Norms:
    version: str
    seed: int
    n: int
    built_at: str
    instrument_versions: dict[str, str]
    scales: dict[str, ScaleNorm]

    def scale(self, scale_id: str) -> ScaleNorm:
        try:
            return self.scales[scale_id]
        except KeyError:
            raise AssessmentInputError("norms", f"no norms for scale {scale_id!r}; rebuild them with "
                                       "`skillpass assessment norms`") from None

    def check_instrument(self, instrument: Instrument) -> None:
        built_for = self.instrument_versions.get(instrument.id)
        if built_for != instrument.version:
            raise AssessmentInputError(
                instrument.id, f"norms {self.version} were built for version {built_for} of this instrument, "
                f"not {instrument.version}; rebuild them with `skillpass assessment norms`")


def stanine(percentile: np.ndarray) -> np.ndarray:
    return 1 + np.searchsorted(STANINE_BOUNDS, percentile, side="right")


def mid_rank_table(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.sort(values[np.isfinite(values)])
    unique, first = np.unique(values, return_index=True)
    counts = np.diff(np.append(first, len(values)))
    percentile = (first + counts / 2.0) / len(values)
    if len(unique) > MAX_TABLE_POINTS:
        keep = np.unique(np.linspace(0, len(unique) - 1, MAX_TABLE_POINTS).round().astype(int))
        unique, percentile = unique[keep], percentile[keep]
    return unique, percentile


def spearman_brown(correlation: float, factor: float = 2.0) -> float:
    return factor * correlation / (1 + (factor - 1) * correlation)


def cronbach_alpha(items: pd.DataFrame) -> float:
    items = items.dropna()
    k = items.shape[1]
    return float(k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1)))


def scale_reliability(instrument: Instrument, events: pd.DataFrame, raw: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """Reliability of each scale of *instrument* in a norm group, by the scale's own method."""
    out = {}
    halves = None
    for scale in instrument.scales:
        if scale.reliability == "irt":
            estimate, se = raw[scale.id], raw[scale.id + ".se"]
            out[scale.id] = (float(estimate.var() / (estimate.var() + (se**2).mean())), "irt_marginal")
        elif scale.reliability == "alpha":
            out[scale.id] = (cronbach_alpha(instrument.item_matrix(events, scale.id)), "cronbach_alpha")
        else:
            if halves is None:
                halves = instrument.split_halves(events)
            first, second = halves[0][scale.id], halves[1][scale.id].reindex(halves[0].index)
            r = float(np.corrcoef(first, second)[0, 1])
            out[scale.id] = (spearman_brown(r), "split_half_spearman_brown")
    return out


def normal_scores(values: np.ndarray) -> np.ndarray:
    ranks = pd.Series(values).rank(method="average").to_numpy()
    return ndtri((ranks - 0.5) / len(values))


def conditional_error_factor(full: np.ndarray, first: np.ndarray, second: np.ndarray, at: np.ndarray,
                             bins: int = 10) -> np.ndarray:
    """Relative error variance along the score range, from split halves (a binned CSEM).

    The two halves' normal scores differ only by error; their squared difference, averaged
    within bands of the full score and divided by its overall mean, says where the scale
    measures less precisely than its reliability suggests (a ceiling, a floor).
    """
    ok = np.isfinite(full) & np.isfinite(first) & np.isfinite(second)
    full, difference = full[ok], (normal_scores(first[ok]) - normal_scores(second[ok])) ** 2
    edges = np.unique(np.quantile(full, np.linspace(0, 1, bins + 1)))
    if len(edges) < 3:
        return np.ones_like(at)
    band = np.clip(np.searchsorted(edges, full, side="right") - 1, 0, len(edges) - 2)
    per_band = pd.Series(difference).groupby(band).mean()
    centres = pd.Series(full).groupby(band).median()
    factor = (per_band / difference.mean()).to_numpy()
    return np.interp(at, centres.to_numpy(), factor)


def build_instrument_norms(instrument: Instrument, events: pd.DataFrame) -> dict[str, ScaleNorm]:
    scores = instrument.score(events)
    reliability = scale_reliability(instrument, scores.events, scores.raw)
    halves = None
    norms = {}
    for scale in instrument.scales:
        values = scores.raw[scale.id].to_numpy(dtype=float)
        raw, percentile = mid_rank_table(values)
        r, method = reliability[scale.id]
        factor = None
        if scale.reliability == "split_half":
            halves = halves or instrument.split_halves(scores.events)
            first = halves[0][scale.id].reindex(scores.raw.index).to_numpy(dtype=float)
            second = halves[1][scale.id].reindex(scores.raw.index).to_numpy(dtype=float)
            factor = conditional_error_factor(values, first, second, raw)
        norms[scale.id] = ScaleNorm(scale.id, raw, percentile, float(np.nanmean(values)), float(np.nanstd(values)),
                                    r, method, int(np.isfinite(values).sum()), factor)
    return norms


def assemble(norm_scales: dict[str, ScaleNorm], instruments, *, seed: int, n: int) -> Norms:
    versions = {i.id: i.version for i in instruments}
    fingerprint = hashlib.sha256(json.dumps({"seed": seed, "n": n, "versions": versions},
                                            sort_keys=True).encode()).hexdigest()[:10]
    return Norms(version=f"norms/{n}/{fingerprint}", seed=seed, n=n,
                 built_at=datetime.now(UTC).strftime("%Y-%m-%d"), instrument_versions=versions, scales=norm_scales)


# --------------------------------------------------------------------------- storage


def save_norms(norms: Norms, instruments, root: Path | None = None) -> Path:
    folder = Path(root or data_dir()) / NORMS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "version": norms.version, "seed": norms.seed, "n": norms.n, "built_at": norms.built_at,
        "command": f"skillpass assessment norms --n {norms.n} --seed {norms.seed}",
        "instrument_versions": norms.instrument_versions,
        "scales": {s.scale_id: {"mean": round(s.mean, 6), "sd": round(s.sd, 6), "reliability": round(s.reliability, 4),
                                "reliability_method": s.reliability_method, "n": s.n,
                                "sem_raw": round(s.standard_error_of_measurement(), 6)}
                   for s in norms.scales.values()},
    }
    for instrument in instruments:
        rows = [pd.DataFrame({"scale_id": s.id, "raw": norms.scales[s.id].raw,
                              "percentile": np.round(norms.scales[s.id].percentile * 100, 4),
                              "stanine": stanine(norms.scales[s.id].percentile),
                              "error_factor": norms.scales[s.id].error_factor_of(norms.scales[s.id].raw)})
                for s in instrument.scales]
        write_text_atomically(folder / f"{instrument.id}.csv", pd.concat(rows).to_csv(index=False, float_format="%.6g"))
    write_text_atomically(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    _load.cache_clear()
    return folder


@lru_cache(maxsize=4)
def _load(folder: Path) -> Norms:
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise AssessmentInputError("norms", f"no norms in {folder}; build them with `skillpass assessment norms`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    scales = {}
    for instrument_id in manifest["instrument_versions"]:
        table = pd.read_csv(folder / f"{instrument_id}.csv")
        for scale_id, rows in table.groupby("scale_id", sort=False):
            stats = manifest["scales"][scale_id]
            scales[scale_id] = ScaleNorm(scale_id, rows["raw"].to_numpy(float), rows["percentile"].to_numpy(float) / 100,
                                         stats["mean"], stats["sd"], stats["reliability"], stats["reliability_method"],
                                         stats["n"], rows["error_factor"].to_numpy(float))
    return Norms(manifest["version"], manifest["seed"], manifest["n"], manifest["built_at"],
                 manifest["instrument_versions"], scales)


def load_norms(root: Path | None = None) -> Norms:
    return _load(Path(root or data_dir()) / NORMS_FOLDER)
