"""Hypothesis strategies reused across property tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import strategies as st


@st.composite
def candidate_instances(draw, max_seekers: int = 6, max_vacancies: int = 4, max_capacity: int = 3):
    """A small bipartite instance: edges (seeker, vacancy, score) and vacancy capacities.

    Scores are multiples of 1/1000 so that ties and zeros happen often.
    """
    n_seekers = draw(st.integers(1, max_seekers))
    n_vacancies = draw(st.integers(1, max_vacancies))
    capacity = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=n_vacancies, max_size=n_vacancies)))
    pairs = [(s, v) for s in range(n_seekers) for v in range(n_vacancies)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    scores = draw(st.lists(st.integers(0, 1000), min_size=len(chosen), max_size=len(chosen)))
    seeker = np.array([p[0] for p in chosen], dtype=np.int32)
    vacancy = np.array([p[1] for p in chosen], dtype=np.int32)
    score = np.array(scores, dtype=np.float32) / 1000.0
    return n_seekers, n_vacancies, seeker, vacancy, score, capacity


def graph_from(n_seekers, n_vacancies, seeker, vacancy, score):
    """A CandidateGraph around raw edges (no knock-out bookkeeping)."""
    from matching.candidates import N_REASONS, CandidateGraph

    order = np.lexsort((-score, seeker))
    counts = np.zeros((n_seekers, N_REASONS), dtype=np.int32)
    counts[:, 0] = np.bincount(seeker, minlength=n_seekers)
    return CandidateGraph(seeker=seeker[order], vacancy=vacancy[order], score=score[order],
                          distance_km=np.zeros(len(seeker), dtype=np.float32), n_seekers=n_seekers,
                          n_vacancies=n_vacancies, knockout_counts=counts, top_k=n_vacancies)


skill_levels = st.floats(1.0, 5.0, allow_nan=False)
standard_errors = st.floats(0.05, 1.5, allow_nan=False)


@st.composite
def programme_instances(draw, max_seekers: int = 5, max_vacancies: int = 3, max_trainings: int = 2,
                        max_capacity: int = 2, min_options: int = 4, max_options: int = 12):
    """A tiny :class:`matching.options.OptionGraph` built directly, small enough to brute-force.

    Options are a random subset of direct ``(seeker, −1, vacancy)`` and pathway
    ``(seeker, training, vacancy)`` triples; weights (and scores) are multiples of 1/1000 in
    (0, 1], so ties happen and the solver's 10⁻⁶ weight scaling is exact. Training costs are
    whole hundreds of euros. Two thirds of the instances carry one group ``"g"``.
    """
    from matching.options import OptionGraph

    n_seekers = draw(st.integers(2, max_seekers))
    n_vacancies = draw(st.integers(1, max_vacancies))
    n_trainings = draw(st.integers(0, max_trainings))
    openings = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=n_vacancies, max_size=n_vacancies)),
                        dtype=np.int64)
    seats = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=n_trainings, max_size=n_trainings)),
                     dtype=np.int64)
    training_cost = np.array(draw(st.lists(st.integers(0, 15), min_size=n_trainings, max_size=n_trainings)),
                             dtype=np.float64) * 100.0
    triples = [(s, t, v) for s in range(n_seekers) for t in range(-1, n_trainings) for v in range(n_vacancies)]
    # A prefix of a permutation rather than st.lists: lists stay short, and tiny graphs bind nothing.
    n_options = draw(st.integers(min(min_options, len(triples)), min(max_options, len(triples))))
    chosen = draw(st.permutations(triples))[:n_options]
    weights = draw(st.lists(st.integers(1, 1000), min_size=len(chosen), max_size=len(chosen)))
    seeker = np.array([c[0] for c in chosen], dtype=np.int32)
    training = np.array([c[1] for c in chosen], dtype=np.int32)
    vacancy = np.array([c[2] for c in chosen], dtype=np.int32)
    weight = np.array(weights, dtype=np.float64) / 1000.0
    cost = np.where(training >= 0, training_cost[np.maximum(training, 0)] if n_trainings else 0.0, 0.0)
    if draw(st.integers(0, 2)):
        member = np.array(draw(st.lists(st.booleans(), min_size=n_seekers, max_size=n_seekers)),
                          dtype=bool).reshape(n_seekers, 1)
        names = ("g",)
    else:
        member, names = np.zeros((n_seekers, 0), dtype=bool), ()
    return OptionGraph(seeker=seeker, vacancy=vacancy, training=training, score=weight.copy(), weight=weight,
                       cost_eur=cost.astype(np.float64), distance_km=np.zeros(len(seeker), dtype=np.float32),
                       n_seekers=n_seekers, openings=openings, seats=seats, group_member=member, group_names=names)


@st.composite
def programme_policies(draw, options):
    """A :class:`matching.policy.MatchingPolicy` for *options*: none, a training budget, a floor on
    group ``"g"`` (when the instance has it), or both."""
    from matching.policy import MatchingPolicy

    budget = draw(st.none() | st.integers(0, 30).map(lambda k: k * 50.0))
    floors = {}
    if "g" in options.group_names and draw(st.booleans()):
        floors["g"] = draw(st.integers(0, 70)) / 100.0
    return MatchingPolicy(training_budget_eur=budget, min_group_share=floors)


# --- passports -------------------------------------------------------------------------------

_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
moments = st.integers(0, 3 * 365 * 24).map(lambda hours: _EPOCH + timedelta(hours=hours))
identifiers = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
free_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)


@st.composite
def skill_evidence(draw, skill_ids):
    from passport.models import SkillEvidence

    source = draw(st.sampled_from(["assessed", "assessed", "verified", "self_declared", "training"]))
    common = dict(skill_id=draw(st.sampled_from(skill_ids)), source=source, observed_at=draw(moments),
                  recorded_by=draw(st.sampled_from(["skillsprint", "employer:acme", "trainer:roc", "holder"])),
                  reference=draw(st.none() | st.sampled_from(["session-1", "session-2"])))
    if source == "training":
        return SkillEvidence(uplift=draw(st.floats(0.0, 2.0, allow_nan=False)), **common)
    return SkillEvidence(level=draw(skill_levels), se=draw(standard_errors), **common)


@st.composite
def passports(draw, taxonomy, max_evidence: int = 12):
    """Any valid passport: its profile follows from its evidence, references are known."""
    from passport.evidence import profile_from_evidence
    from passport.models import (Consent, HardSkillClaim, InstrumentRun, LanguageSkill, Location, Passport,
                                 Preferences, Provenance)

    evidence = draw(st.lists(skill_evidence(list(taxonomy.skill_ids)), max_size=max_evidence))
    hard_ids = draw(st.lists(st.sampled_from(list(taxonomy.hard_skill_ids)), unique=True, max_size=4))
    hours = sorted(draw(st.lists(st.integers(1, 48), min_size=2, max_size=2)))
    visible = draw(st.booleans())
    return Passport(
        passport_id=draw(identifiers), holder_id=draw(free_text), version=draw(st.integers(1, 50)),
        profile=profile_from_evidence(evidence), evidence=evidence,
        hard_skills=[HardSkillClaim(hard_skill_id=h, evidence=draw(st.sampled_from(["self_declared", "verified", "training"])),
                                    obtained_on=draw(st.none() | moments)) for h in hard_ids],
        education_eqf=draw(st.integers(1, 8)),
        languages=[LanguageSkill(language=code, cefr=draw(st.sampled_from(["A1", "A2", "B1", "B2", "C1", "C2"])))
                   for code in draw(st.lists(st.sampled_from(["nl", "en", "ar", "pl", "tr"]), unique=True, max_size=3))],
        preferences=Preferences(sectors=draw(st.lists(st.sampled_from(list(taxonomy.sectors)), unique=True, max_size=2)),
                                hours_min=hours[0], hours_max=hours[1],
                                max_travel_km=draw(st.floats(1.0, 300.0, allow_nan=False))),
        location=Location(lat=draw(st.floats(50.7, 53.6)), lon=draw(st.floats(3.3, 7.3))),
        consent=Consent(visible_to_employers=visible,
                        employer_ids=draw(st.lists(identifiers, unique=True, max_size=2)) if visible else [],
                        include_in_batch_matching=draw(st.booleans()), updated_at=draw(moments)),
        provenance=Provenance(issued_at=draw(st.none() | moments),
                              method=draw(st.sampled_from(["skillsprint", "profile", "synthetic", "import"])),
                              instruments=[InstrumentRun(instrument_id=i, completed_at=draw(moments),
                                                         scoring_version="1.0", norms_version=draw(st.none() | st.just("2026.1")))
                                           for i in draw(st.lists(st.sampled_from(["bart", "gonogo", "sjt"]), unique=True, max_size=3))],
                              taxonomy_version=taxonomy.soft_skill_order_version),
    )
