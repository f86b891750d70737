"""The Skillsprint: the battery of instruments, simulated play, and scoring into profiles.

:func:`score_skillsprint` is the batch path: event tables of many sessions (one table per
instrument) become soft-skill levels with standard errors, a measured mask, the per-scale
scores behind them and every data-quality flag with its effect. It is vectorised over
sessions; the only loops run over the eight instruments and their scales.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from assessment.instrument import Instrument, InstrumentScores
from assessment.measurement import MeasurementModel, load_measurement_model
from assessment.norms import Norms, load_norms, stanine
from assessment.quality import FLAGS, WIDEN_FACTOR
from passport.models import PRIOR_LEVEL, PRIOR_SE, SkillProfile
from passport.taxonomy import Taxonomy, load_taxonomy

# The order people play in: warm-up games first, the reading-heavy parts last.
BATTERY = (
    ("gonogo", "assessment.gonogo", "GoNoGo"),
    ("flanker", "assessment.flanker", "Flanker"),
    ("bart", "assessment.bart", "BalloonRisk"),
    ("nback", "assessment.nback", "NBack"),
    ("tower", "assessment.tower", "TowerOfLondon"),
    ("trust", "assessment.trust", "TrustGame"),
    ("sjt", "assessment.sjt", "ScenarioTest"),
    ("questionnaire", "assessment.questionnaire", "WorkStyleQuestionnaire"),
)


@cache
def instruments() -> tuple[Instrument, ...]:
    return tuple(getattr(importlib.import_module(module), name)() for _, module, name in BATTERY)


def instrument(instrument_id: str) -> Instrument:
    for candidate in instruments():
        if candidate.id == instrument_id:
            return candidate
    known = ", ".join(i for i, _, _ in BATTERY)
    raise KeyError(f"unknown instrument {instrument_id!r}; expected one of {known}")


@dataclass(frozen=True)
class Engine:
    """What scoring needs besides the events: taxonomy, measurement model and norms."""

    taxonomy: Taxonomy
    model: MeasurementModel
    norms: Norms
    battery: tuple[Instrument, ...]

    @classmethod
    def default(cls) -> "Engine":
        return _default_engine()


@cache
def _default_engine() -> Engine:
    taxonomy = load_taxonomy()
    return Engine(taxonomy, load_measurement_model(taxonomy), load_norms(), instruments())


@dataclass(frozen=True, eq=False)
class SkillsprintResult:
    """Scored Skillsprints of many sessions, in the taxonomy's skill order."""

    session_ids: pd.Index
    levels: np.ndarray         # (sessions, skills); prior level where unmeasured
    se: np.ndarray             # (sessions, skills); prior SE where unmeasured
    measured: np.ndarray       # (sessions, skills)
    estimate: np.ndarray       # (sessions, skills) posterior level even where unmeasured, for analysts
    estimate_se: np.ndarray
    scales: pd.DataFrame       # (sessions × scale): observed z, error SD, percentile, stanine, used
    flags: pd.DataFrame        # long: session_id, instrument, flag, effect
    completion: pd.DataFrame   # sessions × instruments, share of a full run played
    versions: dict[str, str] = field(default_factory=dict)

    def profile(self, taxonomy: Taxonomy, row: int) -> SkillProfile:
        return SkillProfile.from_arrays(taxonomy, self.levels[row], self.se[row], self.measured[row])


# --------------------------------------------------------------------------- scoring


def _scale_observations(inst: Instrument, scores: InstrumentScores, norms: Norms, sessions: pd.Index):
    """Per scale: observed θ, its error variance, percentile — reindexed to *sessions*."""
    norms.check_instrument(inst)
    flags = scores.flags
    unscorable = flags[[c for c in flags.columns if FLAGS[c].effect == "unscorable"]].any(axis=1)
    widen = flags[[c for c in flags.columns if FLAGS[c].effect == "widen"]].any(axis=1)
    completion = scores.completion.clip(lower=1e-3)
    out = {}
    for scale in inst.scales:
        norm = norms.scale(scale.id)
        raw = scores.raw[scale.id].to_numpy(dtype=float)
        percentile = norm.percentile_of(raw)
        if scale.reliability == "irt":
            # The EAP carries the N(0, 1) prior; divide it out so the measurement model
            # sees the likelihood alone and does not count the prior twice.
            posterior_var = np.clip(scores.raw[scale.id + ".se"].to_numpy(dtype=float) ** 2, 1e-6, 0.98)
            observed = raw / (1 - posterior_var)
            error_var = posterior_var / (1 - posterior_var)
        else:
            # Classical test theory: z = √r·θ + √(1−r)·e, so z/√r is θ plus error of variance
            # (1−r)/r; a shorter run (share m of the trials) has m times the information.
            r = norm.reliability
            observed = norm.z_of(raw) / np.sqrt(r)
            information = completion.to_numpy()
            if scale.id + ".evidence" in scores.raw:
                # The instrument says how much of a typical run's evidence this scale got.
                information = information * scores.raw[scale.id + ".evidence"].clip(lower=0.05).to_numpy()
            error_var = (1 - r) / (r * information) * norm.error_factor_of(raw)
        error_var = np.where(widen.to_numpy(), error_var * WIDEN_FACTOR**2, error_var)
        observed = np.where(unscorable.to_numpy() | ~np.isfinite(raw), np.nan, observed)
        frame = pd.DataFrame({"observed": observed, "error_sd": np.sqrt(error_var), "percentile": percentile * 100,
                              "stanine": stanine(percentile)}, index=scores.raw.index).reindex(sessions)
        out[scale.id] = frame
    return out


def score_skillsprint(events: dict[str, pd.DataFrame | list[dict]], engine: Engine | None = None, *,
                      sessions=None) -> SkillsprintResult:
    """Score the Skillsprints of many sessions from one event table per instrument.

    Instruments missing from *events* (not played) leave their scales unobserved; skills
    that no played scale measures directly stay unmeasured in the profile. Pass
    *sessions* to get one row per listed session in that order, played or not.
    """
    engine = engine or Engine.default()
    unknown = sorted(set(events) - {i.id for i in engine.battery})
    if unknown:
        raise KeyError(f"unknown instrument {unknown[0]!r}")
    scored = {inst.id: (inst, inst.score(events[inst.id])) for inst in engine.battery if inst.id in events}
    if sessions is None:
        played = [s.raw.index.to_numpy() for _, s in scored.values()]
        sessions = pd.unique(np.concatenate(played)) if played else []
    sessions = pd.Index(sessions, name="session_id")
    model = engine.model
    n, k = len(sessions), len(model.scale_ids)
    observed = np.full((n, k), np.nan)
    error_var = np.full((n, k), np.inf)
    scale_frames, flag_frames, completion = {}, [], {}
    for inst, scores in scored.values():
        for scale_id, frame in _scale_observations(inst, scores, engine.norms, sessions).items():
            j = model.scale_index(scale_id)
            observed[:, j] = frame["observed"].to_numpy()
            error_var[:, j] = frame["error_sd"].to_numpy() ** 2
            scale_frames[scale_id] = frame
        completion[inst.id] = scores.completion.reindex(sessions).fillna(0.0)
        raised = scores.flags.stack()
        raised = raised[raised].reset_index()
        if len(raised):
            raised.columns = ["session_id", "flag", "_"]
            raised["instrument"] = inst.id
            flag_frames.append(raised[["session_id", "instrument", "flag"]])
    usable = np.isfinite(observed) & np.isfinite(error_var)
    mean, sd = model.posterior(observed, error_var)
    estimate, estimate_se = model.to_levels(mean, sd)
    measured = model.measured(usable)
    flags = (pd.concat(flag_frames, ignore_index=True) if flag_frames
             else pd.DataFrame(columns=["session_id", "instrument", "flag"]))
    flags["effect"] = flags["flag"].map(lambda c: FLAGS[c].effect)
    scales = pd.concat(scale_frames, axis=1, names=["scale_id", "part"]) if scale_frames else pd.DataFrame(index=sessions)
    if scale_frames:
        scales[[(s, "used") for s in scale_frames]] = usable[:, [model.scale_index(s) for s in scale_frames]]
        scales = scales.sort_index(axis=1, level=0, sort_remaining=False)
    versions = {inst.id: inst.version for inst, _ in scored.values()}
    versions.update(norms=engine.norms.version, measurement_model=engine.model.version)
    return SkillsprintResult(
        session_ids=sessions, levels=np.where(measured, estimate, PRIOR_LEVEL), se=np.where(measured, estimate_se, PRIOR_SE),
        measured=measured, estimate=estimate, estimate_se=estimate_se, scales=scales, flags=flags,
        completion=pd.DataFrame(completion, index=sessions), versions=versions)


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class PlayStyle:
    """How a simulated population plays: carelessness and unfinished games."""

    careless_rate: float = 0.0
    dropout_rate: float = 0.0   # share of sessions that stop part-way through an instrument
    skip_rate: float = 0.0      # share of (session, instrument) pairs never played


ATTENTIVE_PLAY = PlayStyle()
REALISTIC_PLAY = PlayStyle(careless_rate=0.03, dropout_rate=0.05, skip_rate=0.03)


def simulate_skillsprint(true_levels: np.ndarray, rng: np.random.Generator, *, engine: Engine | None = None,
                         play: PlayStyle = ATTENTIVE_PLAY, session_ids=None,
                         battery: tuple[Instrument, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Event tables of a Skillsprint played by people with the given true soft-skill levels.

    Each instrument responds to its scales' latent traits, drawn from the measurement model
    (the same model scoring inverts), so scoring can be checked against the truth.
    """
    engine = engine or Engine.default()
    theta = engine.model.simulate_scale_traits(true_levels, rng)
    return play_skillsprint(theta, rng, engine=engine, play=play, session_ids=session_ids, battery=battery).events


@dataclass(frozen=True, eq=False)
class SimulatedPlay:
    events: dict[str, pd.DataFrame]
    careless: np.ndarray       # (sessions,) who played without attention
    played: pd.DataFrame       # sessions × instruments: share of the trials kept


def play_skillsprint(theta: np.ndarray, rng: np.random.Generator, *, engine: Engine,
                     play: PlayStyle = ATTENTIVE_PLAY, session_ids=None,
                     battery: tuple[Instrument, ...] | None = None, **instrument_options) -> SimulatedPlay:
    """Play the battery from scale traits θ (sessions × the model's scales).

    *instrument_options* maps an instrument id to keyword arguments of its ``simulate``
    (for example ``sjt={"adaptive": False}`` for the full scenario bank).
    """
    battery = battery or engine.battery
    n = len(theta)
    careless = rng.random(n) < play.careless_rate
    ids = np.arange(n) if session_ids is None else np.asarray(session_ids)
    out, played = {}, {}
    for inst in battery:
        columns = [engine.model.scale_index(s) for s in inst.scale_ids]
        events = inst.simulate(theta[:, columns], rng, careless=careless, **instrument_options.get(inst.id, {}))
        keep = np.ones(len(events), dtype=bool)
        session = events["session_id"].to_numpy()
        if play.dropout_rate > 0:
            stops = rng.random(n) < play.dropout_rate
            cut = np.where(stops, rng.uniform(0.2, 0.9, size=n), np.inf)
            keep &= events["trial"].to_numpy() < cut[session] * inst.n_trials
        if play.skip_rate > 0:
            keep &= ~(rng.random(n) < play.skip_rate)[session]
        played[inst.id] = (pd.Series(keep).groupby(session).mean().reindex(np.arange(n)).fillna(0.0).to_numpy())
        events = events.loc[keep]
        if session_ids is not None:
            events = events.assign(session_id=ids[events["session_id"].to_numpy()])
        out[inst.id] = events.reset_index(drop=True)
    return SimulatedPlay(out, careless, pd.DataFrame(played, index=pd.Index(ids, name="session_id")))


def draw_population_levels(taxonomy: Taxonomy, model: MeasurementModel, n: int, rng: np.random.Generator) -> np.ndarray:
    """True levels of a norm group drawn from the population model itself."""
    z = rng.multivariate_normal(np.zeros(taxonomy.n_soft_skills), model.prior_correlation, size=n, method="cholesky")
    return np.clip(model.mean_level + model.sd_level * z, 1.0, 5.0)
