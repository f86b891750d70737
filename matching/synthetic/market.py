"""A seeded, deterministic synthetic labour market, vectorised to a million seekers.

Two steps mirror reality: :func:`generate_population` draws who people truly are (latent
soft skills with a factor structure, education, Dutch level, certificates, home,
preferences, and group attributes kept apart for fairness measurement); then
:func:`observe_passports` turns true skills into what a passport shows. By default every
seeker plays a simulated Skillsprint through the assessment engine's instruments (with some
careless, unfinished and skipped play), and the passport holds what scoring makes of it:
levels with standard errors, and skills left unmeasured where the play did not reach them.
``passports="noise"`` keeps the older, much faster stand-in (true level plus noise of a
stated size) for national-scale speed benchmarks, where play would dominate the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.synthetic.ground_truth import GroundTruth
from matching.timing import StageTimer
from passport.models import PRIOR_LEVEL, PRIOR_SE
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import Taxonomy, cefr_rank, load_taxonomy

GEOGRAPHIES = ("region", "national")
PASSPORT_SOURCES = ("skillsprint", "noise")
PLAY_CHUNK = 20_000
KM_PER_DEGREE_LAT = 111.2


@dataclass(frozen=True)
class MarketConfig:
    """Size and shape of a synthetic market. Defaults: the South-East Brabant demo."""

    n_seekers: int = 6_000
    n_vacancies: int = 1_500
    n_trainings: int = 40
    geography: str = "region"
    seed: int = 0
    mean_extra_openings: float = 1.5
    # Factor structure of true soft skills: a general factor plus one factor per cluster.
    general_loading: float = 0.45
    cluster_loading: float = 0.50
    skill_sd: float = 0.85
    mean_level: float = 2.9
    completion_rate: float = 0.92
    consent_rate: float = 0.92
    passports: str = "skillsprint"

    def __post_init__(self):
        if self.geography not in GEOGRAPHIES:
            raise ValueError(f"geography: expected one of {GEOGRAPHIES}, got {self.geography!r}")
        if self.passports not in PASSPORT_SOURCES:
            raise ValueError(f"passports: expected one of {PASSPORT_SOURCES}, got {self.passports!r}")
        for name in ("n_seekers", "n_vacancies", "n_trainings"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.general_loading**2 + self.cluster_loading**2 >= 1:
            raise ValueError("general_loading² + cluster_loading² must stay below 1")


@dataclass(frozen=True, eq=False)
class SyntheticMarket:
    """A generated market. ``truth`` is hidden from every scorer; ``groups`` holds the
    protected attributes, for fairness measurement only."""

    config: MarketConfig
    taxonomy: Taxonomy
    seekers: SeekerArrays
    vacancies: VacancyArrays
    trainings: TrainingArrays
    groups: pd.DataFrame
    truth: GroundTruth = field(repr=False)


@dataclass(frozen=True, eq=False)
class Population:
    """What is true about the seekers, before any measurement."""

    true_levels: np.ndarray
    skeleton: SeekerArrays  # everything observable, with true levels in place of measurements
    groups: pd.DataFrame


# --------------------------------------------------------------------------- helpers


def _jitter(rng, lat, lon, sd_km):
    lat = lat + rng.normal(0.0, 1.0, lat.shape) * sd_km / KM_PER_DEGREE_LAT
    lon = lon + rng.normal(0.0, 1.0, lon.shape) * sd_km / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat)))
    return lat, lon


def _places(taxonomy: Taxonomy, geography: str) -> pd.DataFrame:
    places = taxonomy.municipalities if geography == "region" else taxonomy.places
    return places[["lat", "lon", "population"]]


def _draw_locations(rng, places: pd.DataFrame, n: int, concentration: float = 1.0):
    weight = places["population"].to_numpy(dtype=float) ** concentration
    idx = rng.choice(len(places), size=n, p=weight / weight.sum())
    # Bigger places spread wider: a city's residents live kilometres from its centroid.
    spread = 0.8 + 2.5 * np.sqrt(places["population"].to_numpy(dtype=float) / 250_000.0)
    lat, lon = _jitter(rng, places["lat"].to_numpy()[idx], places["lon"].to_numpy()[idx], spread[idx])
    return idx, lat, lon


def _hard_skill_probabilities(taxonomy: Taxonomy) -> np.ndarray:
    """P(seeker holds hard skill h | prior sector s), shape (n_sectors, n_hard_skills).

    Derived from the occupation profiles: what a sector's jobs ask for is what people
    who worked there tend to have.
    """
    sectors = taxonomy.sectors
    is_cert = (taxonomy.hard_skills["kind"] == "certificate").to_numpy()
    base = np.where(is_cert, 0.03, 0.02)
    probs = np.tile(base, (len(sectors), 1))
    occupation_sector = taxonomy.occupations["sector"].to_numpy()
    in_sector = np.zeros_like(probs, dtype=bool)
    for s, sector in enumerate(sectors):
        rows = occupation_sector == sector
        in_sector[s] = (taxonomy.occupation_essential[rows] | taxonomy.occupation_optional[rows]).any(axis=0)
    probs = np.where(in_sector, probs + np.where(is_cert, 0.22, 0.18), probs)
    ids = taxonomy.hard_skill_ids
    probs[:, ids.index("driving_b")] = 0.55
    return np.clip(probs, 0.0, 0.9)


# --------------------------------------------------------------------------- population


def generate_population(config: MarketConfig, taxonomy: Taxonomy, rng: np.random.Generator) -> Population:
    n, K = config.n_seekers, taxonomy.n_soft_skills
    sectors = taxonomy.sectors

    # Group attributes first: some of them shift true traits, none is ever a feature.
    age = rng.integers(18, 67, size=n)
    gender = rng.choice(np.array(["female", "male", "nonbinary"]), size=n, p=[0.47, 0.515, 0.015])
    migration = rng.random(n) < 0.35
    long_term_unemployed = rng.random(n) < np.clip(0.25 + 0.006 * (age - 40), 0.1, 0.5)

    general = rng.normal(size=n)
    cluster_factor = rng.normal(size=(n, len(taxonomy.clusters)))
    unique = rng.normal(size=(n, K))
    g, c = config.general_loading, config.cluster_loading
    z = g * general[:, None] + c * cluster_factor[:, taxonomy.skill_cluster_index] + np.sqrt(1 - g * g - c * c) * unique
    true = config.mean_level + config.skill_sd * z
    skill = taxonomy.skill_index
    true[:, skill("learning_agility")] -= 0.012 * (age - 40)
    true[:, skill("dependability")] += 0.008 * (age - 40) - 0.25 * long_term_unemployed
    true[:, skill("persistence")] -= 0.15 * long_term_unemployed
    true = np.clip(true, 1.0, 5.0)

    education_propensity = 0.45 * general + rng.normal(scale=0.9, size=n)
    eqf = 1 + np.searchsorted(np.quantile(education_propensity, [0.12, 0.45, 0.75, 0.95]), education_propensity)
    thinking = np.array(taxonomy.skill_cluster_index) == taxonomy.clusters.index("thinking")
    true[:, thinking] = np.clip(true[:, thinking] + 0.08 * (eqf[:, None] - 3), 1.0, 5.0)

    native_dutch = rng.choice([3, 4, 5, 6], size=n, p=[0.10, 0.45, 0.35, 0.10])
    migrant_dutch = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.12, 0.28, 0.32, 0.20, 0.08])
    dutch = np.where(migration, migrant_dutch, native_dutch)

    demand = taxonomy.occupations.groupby("sector")["demand_weight"].sum().reindex(sectors).to_numpy()
    prior_sector = rng.choice(len(sectors), size=n, p=demand / demand.sum())
    hard = rng.random((n, taxonomy.n_hard_skills)) < _hard_skill_probabilities(taxonomy)[prior_sector]
    # A certificate that builds on another implies it (truck licence implies car licence).
    grants, prereq = taxonomy.training_grants, taxonomy.training_prerequisite
    for t in np.flatnonzero(grants.any(axis=1) & prereq.any(axis=1)):
        hard[:, prereq[t]] |= hard[:, grants[t]].all(axis=1, keepdims=True)

    _, lat, lon = _draw_locations(rng, _places(taxonomy, config.geography), n)

    sector_pref = rng.random((n, len(sectors))) < 0.30
    sector_pref[np.arange(n), prior_sector] = True
    # Some people rule a sector out altogether (never their own former sector).
    sector_excluded = (rng.random((n, len(sectors))) < 0.06) & ~sector_pref
    hours_max = rng.choice(np.array([24, 32, 36, 40], dtype=np.int16), size=n, p=[0.2, 0.3, 0.2, 0.3])
    hours_min = (hours_max - rng.choice(np.array([8, 16, 24], dtype=np.int16), size=n)).clip(8).astype(np.int16)
    travel = np.exp(rng.normal(np.log(18.0), 0.45, size=n)) * np.where(hard[:, taxonomy.hard_skill_index("driving_b")], 1.0, 0.7)
    consent = rng.random(n) < config.consent_rate

    ids = np.char.add("S", np.char.zfill(np.arange(n).astype(str), 7)).astype(object)
    skeleton = SeekerArrays(
        ids=ids, levels=true.astype(np.float32), se=np.full((n, K), 1e-6, dtype=np.float32),
        measured=np.ones((n, K), dtype=bool), hard=hard, eqf=eqf.astype(np.int8), dutch_cefr=dutch.astype(np.int8),
        lat=lat, lon=lon, max_travel_km=np.clip(travel, 3.0, 80.0).astype(np.float32),
        hours_min=hours_min, hours_max=hours_max, sector_pref=sector_pref,
        sector_excluded=sector_excluded, consent_matching=consent,
    )
    age_band = pd.cut(age, [17, 26, 44, 54, 67], labels=["18-26", "27-44", "45-54", "55-67"])
    groups = pd.DataFrame({
        "seeker_id": ids, "gender": gender, "age_band": age_band,
        "migration_background": migration, "long_term_unemployed": long_term_unemployed,
    })
    return Population(true_levels=true, skeleton=skeleton, groups=groups)


def observe_passports(population: Population, config: MarketConfig, taxonomy: Taxonomy,
                      rng: np.random.Generator) -> SeekerArrays:
    """The passports people carry, from simulated Skillsprints or from the noise stand-in."""
    if config.passports == "skillsprint":
        levels, se, measured = _play_skillsprints(population.true_levels, config, rng)
    else:
        levels, se, measured = _noisy_levels(population.true_levels, config, rng)
    sk = population.skeleton
    return SeekerArrays(
        ids=sk.ids, levels=levels.astype(np.float32), se=se.astype(np.float32), measured=measured, hard=sk.hard,
        eqf=sk.eqf, dutch_cefr=sk.dutch_cefr, lat=sk.lat, lon=sk.lon, max_travel_km=sk.max_travel_km,
        hours_min=sk.hours_min, hours_max=sk.hours_max, sector_pref=sk.sector_pref, sector_excluded=sk.sector_excluded,
        consent_matching=sk.consent_matching,
    )


def _play_skillsprints(true_levels: np.ndarray, config: MarketConfig, rng: np.random.Generator):
    """Every seeker plays; chunked so the event tables of a large market stay small."""
    from assessment.skillsprint import Engine, PlayStyle, score_skillsprint, simulate_skillsprint

    engine = Engine.default()
    play = PlayStyle(careless_rate=0.03, dropout_rate=0.05, skip_rate=1.0 - config.completion_rate)
    n = len(true_levels)
    parts = []
    for start in range(0, n, PLAY_CHUNK):
        chunk = true_levels[start:start + PLAY_CHUNK]
        events = simulate_skillsprint(chunk, rng, engine=engine, play=play)
        result = score_skillsprint(events, engine, sessions=np.arange(len(chunk)))
        parts.append((result.levels, result.se, result.measured))
    return tuple(np.concatenate(p) for p in zip(*parts))


def _noisy_levels(true_levels: np.ndarray, config: MarketConfig, rng: np.random.Generator):
    """True level plus measurement error of a stated size: each skill's standard error stands
    for its instrument's reliability (0.30–0.60 levels), scaled per person by how carefully
    they played; an instrument left unfinished leaves its skill unmeasured."""
    n, K = true_levels.shape
    skill_se = np.random.default_rng(config.seed + 7919).uniform(0.30, 0.60, size=K)
    person_factor = np.exp(rng.normal(0.0, 0.15, size=(n, 1)))
    se = skill_se[None, :] * person_factor
    observed = true_levels + rng.normal(size=(n, K)) * se
    measured = rng.random((n, K)) < config.completion_rate
    levels = np.where(measured, np.clip(observed, 1.0, 5.0), PRIOR_LEVEL)
    se = np.where(measured, se, PRIOR_SE)
    return levels, se, measured


# --------------------------------------------------------------------------- vacancies


def generate_vacancies(config: MarketConfig, taxonomy: Taxonomy, rng: np.random.Generator) -> VacancyArrays:
    """Vacancies drawn from the occupation profiles, placed where people live.

    Employers vary the profile a little (half a level up or down on some skills), keep
    legally required certificates as must-haves, and list an on-the-job ESCO skill as a
    must-have only about a third of the time.
    """
    m, K = config.n_vacancies, taxonomy.n_soft_skills
    occupations = taxonomy.occupations
    demand = occupations["demand_weight"].to_numpy(dtype=float)
    occupation = rng.choice(len(occupations), size=m, p=demand / demand.sum())
    sectors = taxonomy.sectors
    sector = np.array([sectors.index(s) for s in occupations["sector"]], dtype=np.int8)[occupation]

    shift = rng.choice(np.array([-0.5, 0.0, 0.5]), size=(m, K), p=[0.15, 0.7, 0.15])
    required = np.clip(taxonomy.occupation_levels[occupation] + shift, 1.0, 5.0)
    importance = taxonomy.occupation_importance[occupation].copy()

    is_cert = (taxonomy.hard_skills["kind"] == "certificate").to_numpy()
    essential = taxonomy.occupation_essential[occupation]
    keep_prob = np.where(is_cert, 0.9, 0.35)
    must_have = essential & (rng.random(essential.shape) < keep_prob)
    nice_to_have = (essential & ~must_have) | taxonomy.occupation_optional[occupation]

    cefr = np.array([cefr_rank(c) for c in occupations["min_dutch_cefr"]], dtype=np.int8)[occupation]
    cefr = np.minimum(cefr + (rng.random(m) < 0.15), 6).astype(np.int8)
    eqf = occupations["eqf_level"].to_numpy()[occupation]
    min_eqf = np.maximum(eqf - 1, 1).astype(np.int8)

    _, lat, lon = _draw_locations(rng, _places(taxonomy, config.geography), m, concentration=1.1)
    hours_min = occupations["hours_min"].to_numpy()[occupation]
    hours_max = occupations["hours_max"].to_numpy()[occupation]
    # Some employers offer only the top of the range (full-time only).
    full_time_only = rng.random(m) < 0.3
    hours_min = np.where(full_time_only, np.maximum(hours_min, hours_max - 4), hours_min)
    openings = 1 + rng.poisson(config.mean_extra_openings, size=m).clip(0, 11)

    ids = np.char.add("V", np.char.zfill(np.arange(m).astype(str), 6)).astype(object)
    return VacancyArrays(
        ids=ids, occupation=occupation.astype(np.int16), sector=sector, required=required.astype(np.float32),
        importance=importance.astype(np.float32), must_have=must_have, nice_to_have=nice_to_have,
        min_dutch_cefr=cefr, min_eqf=min_eqf, lat=lat, lon=lon,
        hours_min=hours_min.astype(np.int16), hours_max=hours_max.astype(np.int16), openings=openings.astype(np.int32),
    )


def generate_trainings(config: MarketConfig, taxonomy: Taxonomy, rng: np.random.Generator) -> TrainingArrays:
    """Training offers picked from the catalogue (without repetition), seats varied ±50 %."""
    catalogue = TrainingArrays.from_taxonomy(taxonomy)
    n = min(config.n_trainings, catalogue.n)
    chosen = np.sort(rng.choice(catalogue.n, size=n, replace=False))
    picked = catalogue.take(chosen)
    seats = np.maximum(1, np.round(picked.seats * rng.uniform(0.5, 1.5, size=n))).astype(np.int32)
    return TrainingArrays(**{**picked.__dict__, "seats": seats})


# --------------------------------------------------------------------------- market


def generate_market(config: MarketConfig | None = None, taxonomy: Taxonomy | None = None, *,
                    timer: StageTimer | None = None, **overrides) -> SyntheticMarket:
    """Generate a whole market; the same config and seed always give the same market.

    Examples
    --------
    >>> market = generate_market(n_seekers=200, n_vacancies=50, seed=1)
    >>> market.seekers.n, market.vacancies.n
    (200, 50)
    """
    config = config or MarketConfig(**overrides)
    taxonomy = taxonomy or load_taxonomy()
    # Independent streams per part, so growing one part never reshuffles another.
    streams = np.random.SeedSequence(config.seed).spawn(4)
    timer = timer or StageTimer()
    with timer.stage("generate market"):
        population = generate_population(config, taxonomy, np.random.default_rng(streams[0]))
        vacancies = generate_vacancies(config, taxonomy, np.random.default_rng(streams[2]))
        trainings = generate_trainings(config, taxonomy, np.random.default_rng(streams[3]))
        truth = build_ground_truth(taxonomy, population.true_levels)
    with timer.stage("build passports"):
        seekers = observe_passports(population, config, taxonomy, np.random.default_rng(streams[1]))
    return SyntheticMarket(config=config, taxonomy=taxonomy, seekers=seekers, vacancies=vacancies,
                           trainings=trainings, groups=population.groups, truth=truth)


def build_ground_truth(taxonomy: Taxonomy, true_levels: np.ndarray) -> GroundTruth:
    return GroundTruth(
        true_levels=true_levels.astype(np.float32),
        occupation_essential=np.asarray(taxonomy.occupation_essential),
        occupation_levels=np.asarray(taxonomy.occupation_levels),
        occupation_eqf=taxonomy.occupations["eqf_level"].to_numpy(dtype=float),
        dependability_index=taxonomy.skill_index("dependability"),
        stress_tolerance_index=taxonomy.skill_index("stress_tolerance"),
    )
