"""Why a pair scores as it does, in plain English and Dutch at reading level CEFR B1.

A job seeker sees their best vacancies and an employer their best candidates; both should
see *why*. Every reason here is read off the score itself, never invented:

* :func:`pair_contributions` splits each pair's log-odds into one share per feature,
  measured against a typical pair (0 = typical, positive raises the probability);
* :func:`explain_pairs` groups those shares into a handful of reason kinds (soft skills,
  travel, certificates, …), names the largest positive ones as strengths and the largest
  negative ones as gaps, and makes them concrete: which skill, which certificate, how far.
  It then tries every training the seeker may take, rescores the pair on the profile
  after that training, and proposes the one that raises the probability most, with the
  seeker's place among the vacancy's candidates before and after.

Texts talk to the seeker ("you", "je"), use short sentences and everyday words, and
only simple numbers (kilometres, weeks, places in a list).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from matching.bits import derived
from matching._rule_based import RuleBasedScorer
from matching.features import CORE_FEATURES, OCCUPATION_FEATURES, feature_names, pair_features, skill_fit_terms
from matching.pathways import trained_profiles, training_eligibility
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.skillprint_text import WORDING
from passport.taxonomy import MASTERY_MAX, MASTERY_MIN, Taxonomy

LANGUAGES = ("en", "nl")
# A reason must move the log-odds at least this much to be worth a sentence.
MIN_CONTRIBUTION = 0.05
# A training is proposed only if it raises P(placement lasts) by at least this much.
MIN_TRAINING_GAIN = 0.02
# Expected shortfall (levels) below which a skill is not called a gap.
MIN_SHORTFALL = 0.1
# (pair, training) rows scored per batch: bounds the trained-profile temporaries.
TRAINING_BATCH_ROWS = 65_536

_DISTANCE = CORE_FEATURES.index("distance_km")
_TRAVEL_RATIO = CORE_FEATURES.index("travel_ratio")
_EDUCATION = CORE_FEATURES.index("education_gap")
_LANGUAGE = CORE_FEATURES.index("language_gap")


# --------------------------------------------------------------------------- words


@dataclass(frozen=True)
class _Words:
    """Every sentence of the reasons in one language; ``{name}`` marks a value."""

    skills_strength: str
    skills_strength_more: str
    skills_strength_plain: str
    skills_gap: str
    skills_gap_more: str
    skills_gap_plain: str
    level_strength: str
    level_gap: str
    level_gap_unmeasured: str
    must_have_strength: str
    must_have_suffix: str
    must_have_gap_plain: str
    nice_strength_suffix: str
    nice_strength_plain: str
    nice_gap_suffix: str
    nice_gap_plain: str
    occupation_suffix: str
    occupation_strength_plain: str
    occupation_gap_plain: str
    certificate_held: str
    certificate_missing: str
    skill_held: str
    skill_missing: str
    education_strength: str
    education_below: str
    education_above: str
    language_above: str
    language_enough: str
    language_below: str
    language_just_enough: str
    travel_strength: str
    travel_gap: str
    travel_too_far: str
    km: str
    less_than_one_km: str
    hours_strength: str
    hours_gap: str
    sector_strength: str
    sector_gap: str
    no_strengths: str
    no_gaps: str
    training_grants: str
    training_closes_gap: str
    rank_move: str
    rank_stay: str
    rank_only: str
    rank_unknown: str
    few_days: str
    one_week: str
    weeks: str
    sectors: dict[str, str]


_EN = _Words(
    skills_strength="You are good at {skills}. This job needs that.",
    skills_strength_more="You are also good at {skills}.",
    skills_strength_plain="Your skills fit what this job asks.",
    skills_gap="This job asks for more {skill} than your passport shows.",
    skills_gap_more="It also asks for more {skill}.",
    skills_gap_plain="Your skills fit this job a bit less well than usual.",
    # The skillprint's own level words ("level 4 of 5"), so both pages say it the same way.
    level_strength=f"Your passport shows {{skill}} at {WORDING['en'].level_value}. That helps you in this job.",
    level_gap=f"Your passport shows {{skill}} at {WORDING['en'].level_value}. More would help in this job.",
    level_gap_unmeasured="Your passport does not show {skill} yet. Measuring it could help.",
    must_have_strength="You have everything this job must have.",
    must_have_suffix=" This job must have it.",
    must_have_gap_plain="You miss something this job must have.",
    nice_strength_suffix=" The employer likes that.",
    nice_strength_plain="This job asks for nothing extra that you lack.",
    nice_gap_suffix=" The employer would like it.",
    nice_gap_plain="You miss some extras the employer would like.",
    occupation_suffix=" This kind of work needs it.",
    occupation_strength_plain="You have what this kind of work needs.",
    occupation_gap_plain="This kind of work needs skills your passport does not show yet.",
    certificate_held="You have this certificate: {label}.",
    certificate_missing="You do not have this certificate yet: {label}.",
    skill_held="Your passport shows this skill: {label}.",
    skill_missing="Your passport does not show this skill yet: {label}.",
    education_strength="Your education fits this job well.",
    education_below="This job asks for more schooling than you have.",
    education_above="Your education is much higher than this job asks.",
    language_above="Your Dutch is better than this job asks.",
    language_enough="Your Dutch is good enough for this job.",
    language_below="This job asks for better Dutch than you have now.",
    language_just_enough="Your Dutch is just enough for this job. Better Dutch would help.",
    travel_strength="The work is close to home: {km}.",
    travel_gap="The travel is long for you: {km}.",
    travel_too_far=" That is more than you want to travel.",
    km="{km} km",
    less_than_one_km="less than 1 km",
    hours_strength="The working hours fit what you want.",
    hours_gap="The working hours fit only partly with what you want.",
    sector_strength="You want to work in {sector}.",
    sector_gap="You did not say you want to work in {sector}.",
    no_strengths="Nothing stands out as a strong point yet.",
    no_gaps="Nothing big holds you back.",
    training_grants="The course '{course}' ({duration}) gives you: {label}.",
    training_closes_gap="The course '{course}' ({duration}) closes a gap.",
    rank_move="You would move from {now} to {after} of {n} candidates.",
    rank_stay="You would stay {now} of {n} candidates, with a better chance.",
    rank_only="You are the only candidate so far.",
    rank_unknown="It makes this job a better fit for you.",
    few_days="a few days",
    one_week="1 week",
    weeks="{n} weeks",
    sectors={"healthcare": "care", "energy_transition": "the energy sector", "construction_infra": "construction",
             "industry": "industry", "logistics": "logistics"},
)

_NL = _Words(
    skills_strength="Je bent goed in: {skills}. Dat is nodig in deze baan.",
    skills_strength_more="Je bent ook goed in: {skills}.",
    skills_strength_plain="Je vaardigheden passen bij wat deze baan vraagt.",
    skills_gap="Voor deze baan moet je beter zijn in: {skill}. Je paspoort laat nu minder zien.",
    skills_gap_more="Je moet ook beter zijn in: {skill}.",
    skills_gap_plain="Je vaardigheden passen wat minder goed bij deze baan dan gewoonlijk.",
    level_strength=f"Je paspoort laat {{skill}} zien op {WORDING['nl'].level_value}. Dat helpt je in deze baan.",
    level_gap=f"Je paspoort laat {{skill}} zien op {WORDING['nl'].level_value}. Meer zou helpen in deze baan.",
    level_gap_unmeasured="Je paspoort laat {skill} nog niet zien. Meten kan helpen.",
    must_have_strength="Je hebt alles wat verplicht is voor deze baan.",
    must_have_suffix=" Dat is verplicht voor deze baan.",
    must_have_gap_plain="Je mist iets wat verplicht is voor deze baan.",
    nice_strength_suffix=" De werkgever vindt dat fijn.",
    nice_strength_plain="Deze baan vraagt niets extra's wat je mist.",
    nice_gap_suffix=" De werkgever wil dat graag.",
    nice_gap_plain="Je mist een paar dingen die de werkgever graag wil.",
    occupation_suffix=" Dit soort werk vraagt dat.",
    occupation_strength_plain="Je hebt wat dit soort werk vraagt.",
    occupation_gap_plain="Dit soort werk vraagt vaardigheden die je paspoort nog niet laat zien.",
    certificate_held="Je hebt dit certificaat: {label}.",
    certificate_missing="Je hebt dit certificaat nog niet: {label}.",
    skill_held="Je paspoort laat deze vaardigheid zien: {label}.",
    skill_missing="Je paspoort laat deze vaardigheid nog niet zien: {label}.",
    education_strength="Je opleiding past goed bij deze baan.",
    education_below="Deze baan vraagt een hogere opleiding dan je hebt.",
    education_above="Je opleiding is veel hoger dan deze baan vraagt.",
    language_above="Je Nederlands is beter dan deze baan vraagt.",
    language_enough="Je Nederlands is goed genoeg voor deze baan.",
    language_below="Deze baan vraagt beter Nederlands dan je nu spreekt.",
    language_just_enough="Je Nederlands is net genoeg voor deze baan. Beter Nederlands zou helpen.",
    travel_strength="Het werk is dicht bij huis: {km}.",
    travel_gap="De reis is lang voor jou: {km}.",
    travel_too_far=" Dat is verder dan je wilt reizen.",
    km="{km} km",
    less_than_one_km="minder dan 1 km",
    hours_strength="De werktijden passen bij wat je wilt.",
    hours_gap="De werktijden passen maar deels bij wat je wilt.",
    sector_strength="Je wilt graag werken in {sector}.",
    sector_gap="Je hebt niet gezegd dat je in {sector} wilt werken.",
    no_strengths="Er springt nog geen sterk punt uit.",
    no_gaps="Er is niets groots dat je tegenhoudt.",
    training_grants="De cursus '{course}' ({duration}) geeft je: {label}.",
    training_closes_gap="De cursus '{course}' ({duration}) maakt een tekort kleiner.",
    rank_move="Je zou van plek {now} naar plek {after} gaan, van de {n} kandidaten.",
    rank_stay="Je blijft op plek {now} van de {n} kandidaten, met een betere kans.",
    rank_only="Je bent tot nu toe de enige kandidaat.",
    rank_unknown="Daardoor past deze baan beter bij je.",
    few_days="een paar dagen",
    one_week="1 week",
    weeks="{n} weken",
    sectors={"healthcare": "de zorg", "energy_transition": "de energiesector", "construction_infra": "de bouw",
             "industry": "de industrie", "logistics": "de logistiek"},
)

_WORDS = {"en": _EN, "nl": _NL}


def _ordinal_en(n: np.ndarray) -> np.ndarray:
    """1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd"."""
    n = np.asarray(n, dtype=np.int64)
    suffix = np.array(["th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"], dtype=object)[n % 10]
    suffix = np.where((n % 100 >= 11) & (n % 100 <= 13), "th", suffix)
    return _as_text(n) + suffix


def _place_nl(n: np.ndarray) -> np.ndarray:
    # The Dutch sentence says "plek 3": a plain number reads easier than "3e".
    return _as_text(np.asarray(n, dtype=np.int64))


def _first_lower(labels) -> np.ndarray:
    """Labels for use inside a sentence: "Active listening" → "active listening"."""
    return np.array([label[:1].lower() + label[1:] for label in labels], dtype=object)


@dataclass(frozen=True)
class _Phrasebook:
    """The sentences and labels of one language, indexed like the population arrays."""

    words: _Words
    and_word: str
    soft_skills: np.ndarray       # (n_soft_skills,) lower-case labels
    skill_has_and: np.ndarray     # (n_soft_skills,) the label itself contains the word "and"
    hard_held: np.ndarray         # (n_hard_skills,) "You have this certificate: …"
    hard_missing: np.ndarray      # (n_hard_skills,) "You do not have this certificate yet: …"
    hard_labels: np.ndarray       # (n_hard_skills,) bare labels
    sectors: np.ndarray           # (n_sectors,) in taxonomy.sectors order
    place: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def build(cls, language: str, taxonomy: Taxonomy) -> "_Phrasebook":
        words = _WORDS[language]
        label = f"label_{language}"
        hard = taxonomy.hard_skills
        hard_labels = hard[label].to_numpy(dtype=object)
        is_certificate = (hard["kind"] == "certificate").to_numpy()
        held = np.where(is_certificate, _fill(words.certificate_held, label=hard_labels),
                        _fill(words.skill_held, label=hard_labels))
        missing = np.where(is_certificate, _fill(words.certificate_missing, label=hard_labels),
                           _fill(words.skill_missing, label=hard_labels))
        sectors = np.array([words.sectors.get(s, s.replace("_", " ")) for s in taxonomy.sectors], dtype=object)
        and_word = WORDING[language].and_word
        soft_skills = _first_lower(taxonomy.soft_skills[label])
        return cls(words=words, and_word=and_word, soft_skills=soft_skills,
                   skill_has_and=np.array([f" {and_word} " in skill for skill in soft_skills], dtype=bool),
                   hard_held=held.astype(object), hard_missing=missing.astype(object),
                   hard_labels=hard_labels, sectors=sectors,
                   place=_ordinal_en if language == "en" else _place_nl)


@lru_cache(maxsize=16)
def _phrasebook(language: str, taxonomy: Taxonomy) -> _Phrasebook:
    # One per language and taxonomy (hashed by identity): building it fills every label,
    # which costs more than wording a page of pairs.
    return _Phrasebook.build(language, taxonomy)


def _as_text(values) -> np.ndarray:
    return np.asarray(values).astype(str).astype(object)


def _fill(template: str, **fields) -> np.ndarray:
    """*template* filled element-wise: each field is one string or an array of values.

    Returns an object array of strings, as long as the array fields.
    """
    pieces = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is not None:
            value = fields[name]
            pieces.append(value if isinstance(value, str) else _as_text(value))
    out = np.array("", dtype=object)
    for piece in pieces:
        out = out + piece
    n = max((len(v) for v in fields.values() if not isinstance(v, str)), default=1)
    return np.broadcast_to(np.asarray(out, dtype=object), (n,)).copy()


def _join(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Sentences appended with a space, skipping empty ones."""
    first = np.asarray(first, dtype=object)
    second = np.broadcast_to(np.asarray(second, dtype=object), first.shape)
    return np.where(first == "", second, np.where(second == "", first, first + " " + second))


# --------------------------------------------------------------------------- contributions


def pair_contributions(model, X, taxonomy: Taxonomy) -> np.ndarray:
    """Each feature's share of each pair's log-odds, relative to a typical pair.

    Parameters
    ----------
    model : AdditivePlacementModel or RuleBasedScorer
        A model with ``contributions(X)`` (the learned additive model) is asked for them.
        For the rule-based scorer each core feature's linear term (weight times the
        feature, clipped exactly as the scorer does) is centred on its median over the
        given rows, so the typical pair of this batch is 0; its other columns are 0.
    X : array-like of shape (n_pairs, n_features)
        Pair features from :func:`matching.features.pair_features`.
    taxonomy : Taxonomy

    Returns
    -------
    ndarray of shape (n_pairs, n_features), float64
        Positive entries raise the probability. Within a batch, differences between
        rows' sums equal differences of the model's log-odds (for the learned model,
        its booster's log-odds before the calibration curve, which keeps their order).

    Raises
    ------
    TypeError
        If the model gives no per-feature contributions.
    """
    X = np.asarray(X)
    n_features = len(feature_names(taxonomy))
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X: expected shape (n_pairs, {n_features}), got {X.shape}")
    if hasattr(model, "contributions"):
        return np.asarray(model.contributions(X), dtype=np.float64)
    if isinstance(model, RuleBasedScorer):
        return _rule_based_terms(model, X)
    raise TypeError(f"model: {type(model).__name__} gives no per-feature contributions; "
                    "expected an AdditivePlacementModel or a RuleBasedScorer")


def _rule_based_terms(scorer: RuleBasedScorer, X: np.ndarray) -> np.ndarray:
    """The terms of ``RuleBasedScorer._linear``, one column each, median-centred."""
    f = {name: X[:, i].astype(np.float64) for i, name in enumerate(CORE_FEATURES)}
    terms = {
        "fit_p_meet": scorer.p_meet_weight * f["fit_p_meet"],
        "fit_shortfall": -scorer.shortfall_weight * f["fit_shortfall"],
        "fit_surplus": scorer.surplus_weight * f["fit_surplus"],
        "nice_to_have_coverage": scorer.nice_to_have_weight * f["nice_to_have_coverage"],
        "must_have_missing": -scorer.must_have_weight * f["must_have_missing"],
        "language_gap": scorer.language_weight * np.clip(f["language_gap"], 0.0, 2.0),
        "education_gap": scorer.education_weight * np.clip(f["education_gap"], -2.0, 2.0),
        "travel_ratio": -scorer.travel_weight * np.clip(f["travel_ratio"], 0.0, 2.0),
        "sector_match": scorer.sector_weight * f["sector_match"],
    }
    out = np.zeros(X.shape, dtype=np.float64)
    for name, term in terms.items():
        out[:, CORE_FEATURES.index(name)] = term
    if len(out):
        out -= np.median(out, axis=0)
    return out


# --------------------------------------------------------------------------- reason kinds


@dataclass(frozen=True)
class _Kind:
    """A reason kind: the features whose shares it adds up, and how it is put in words.

    ``skills`` marks the soft skills a skill reason may name; ``skill`` is the one skill
    of a ``level`` reason.
    """

    family: str
    columns: tuple[int, ...]
    skills: np.ndarray | None = None
    skill: int = -1


def _reason_kinds(taxonomy: Taxonomy) -> list[_Kind]:
    names = feature_names(taxonomy)
    at = {name: i for i, name in enumerate(names)}
    n_skills = taxonomy.n_soft_skills
    kinds = [_Kind("skills", (at["fit_p_meet"], at["fit_shortfall"], at["fit_surplus"]), np.ones(n_skills, bool))]
    cluster = taxonomy.skill_cluster_index
    kinds += [_Kind("skills", (at[f"p_meet_{c}"],), cluster == i) for i, c in enumerate(taxonomy.clusters)]
    kinds += [
        _Kind("must_have", (at["must_have_missing"],)),
        _Kind("nice_to_have", (at["nice_to_have_coverage"],)),
        _Kind("education", (at["education_gap"], at[OCCUPATION_FEATURES[1]])),
        _Kind("language", (at["language_gap"],)),
        _Kind("travel", (at["distance_km"], at["travel_ratio"])),
        _Kind("hours", (at["hours_overlap"],)),
        _Kind("sector", (at["sector_match"],)),
        _Kind("occupation", (at[OCCUPATION_FEATURES[0]],)),
    ]
    kinds += [_Kind("level", (at[f"level_{skill}"],), skill=k) for k, skill in enumerate(taxonomy.skill_ids)]
    covered = sorted(c for kind in kinds for c in kind.columns)
    assert covered == list(range(len(names))), "every feature belongs to exactly one reason kind"
    return kinds


def _kind_totals(contributions: np.ndarray, kinds: list[_Kind]) -> np.ndarray:
    """(n_pairs, n_kinds): the summed contribution of each reason kind's features."""
    # Column sums, not a matrix product: a row's totals then never depend on its position
    # in the batch, so reordering the pairs cannot change a near-tie between reasons.
    totals = np.empty((len(contributions), len(kinds)))
    for k, kind in enumerate(kinds):
        totals[:, k] = contributions[:, list(kind.columns)].sum(axis=1)
    return totals


@dataclass(frozen=True)
class _Pairs:
    """The facts of a batch of pairs that the reasons quote."""

    s: np.ndarray
    v: np.ndarray
    X: np.ndarray
    share: np.ndarray        # (n, n_soft) importance share of each skill in the vacancy
    p_meet: np.ndarray
    shortfall: np.ndarray
    surplus: np.ndarray
    levels: np.ndarray
    measured: np.ndarray
    has: np.ndarray          # (n, n_hard) hard skills held
    must_have: np.ndarray
    nice_to_have: np.ndarray
    essential: np.ndarray    # essential hard skills of the vacancy's occupation
    sector: np.ndarray
    book: _Phrasebook

    @classmethod
    def build(cls, seekers, vacancies, taxonomy, s, v, X, book) -> "_Pairs":
        weight = vacancies.importance[v]
        share = weight / weight.sum(axis=1, keepdims=True)
        p_meet, shortfall, surplus = skill_fit_terms(seekers.levels[s], seekers.se[s], vacancies.required[v])
        essential = np.asarray(taxonomy.occupation_essential, dtype=bool)[vacancies.occupation[v]]
        return cls(s=s, v=v, X=X, share=share, p_meet=p_meet, shortfall=shortfall, surplus=surplus,
                   levels=seekers.levels[s], measured=seekers.measured[s], has=seekers.hard[s],
                   must_have=vacancies.must_have[v], nice_to_have=vacancies.nice_to_have[v], essential=essential,
                   sector=vacancies.sector[v], book=book)


def _best_column(score: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Per row, the column of the highest allowed score; −1 where none is allowed."""
    if score.shape[1] == 0:
        return np.full(len(score), -1)
    best = np.argmax(np.where(allowed, score, -np.inf), axis=1)
    return np.where(allowed.any(axis=1), best, -1)


def _skills_reason(pairs: _Pairs, kind: _Kind, rows, named, strength: bool, again: np.ndarray) -> np.ndarray:
    """Name the skills behind a fit reason; the named ones are not named again.

    *again* marks rows that already have a skill sentence of this sign: they get the
    shorter "also" sentence.
    """
    book, words = pairs.book, pairs.book.words
    # "This job needs that" must be true: only skills with at least half an even share of
    # the vacancy's importance are named.
    share = pairs.share[rows]
    weighed = kind.skills[None, :] & ~named[rows] & (share >= 0.5 / share.shape[1])
    if strength:
        # Only measured skills: "you are good at" must rest on a measurement, not a prior.
        meets = weighed & pairs.measured[rows] & (pairs.p_meet[rows] >= 0.5)
        clearness = pairs.share[rows] * (pairs.p_meet[rows] + pairs.surplus[rows])
        first = _best_column(clearness, meets)
        meets[np.flatnonzero(first >= 0), first[first >= 0]] = False
        second = _best_column(clearness, meets)
        named_skills = book.soft_skills[np.maximum(first, 0)]
        both = np.flatnonzero(second >= 0)
        # "planning and organising, and focus": a comma keeps two labels apart when one has "and".
        joint = book.skill_has_and[first[both]] | book.skill_has_and[second[both]]
        separator = np.where(joint, f", {book.and_word} ", f" {book.and_word} ")
        named_skills[both] = named_skills[both] + separator + book.soft_skills[second[both]]
        sentence = np.where(again, _fill(words.skills_strength_more, skills=named_skills),
                            _fill(words.skills_strength, skills=named_skills))
        text = np.where(first >= 0, sentence, words.skills_strength_plain)
        for pick in (first, second):
            found = np.flatnonzero(pick >= 0)
            named[rows[found], pick[found]] = True
        return text
    short = weighed & (pairs.shortfall[rows] >= MIN_SHORTFALL)
    worst = _best_column(pairs.share[rows] * pairs.shortfall[rows], short)
    found = np.flatnonzero(worst >= 0)
    named[rows[found], worst[found]] = True
    skill = book.soft_skills[np.maximum(worst, 0)]
    sentence = np.where(again, _fill(words.skills_gap_more, skill=skill), _fill(words.skills_gap, skill=skill))
    return np.where(worst >= 0, sentence, words.skills_gap_plain)


def _level_reason(pairs: _Pairs, kind: _Kind, rows, named, strength: bool, again: np.ndarray) -> np.ndarray:
    book, words, k = pairs.book, pairs.book.words, kind.skill
    label = book.soft_skills[k]
    level = np.clip(np.rint(pairs.levels[rows, k]), MASTERY_MIN, MASTERY_MAX).astype(np.int64)
    named[rows, k] = True
    if strength:
        return _fill(words.level_strength, skill=label, value=level)
    return np.where(pairs.measured[rows, k], _fill(words.level_gap, skill=label, value=level),
                    words.level_gap_unmeasured.format(skill=label))


def _hard_skill_reason(pairs: _Pairs, wanted: np.ndarray, rows, strength: bool, suffix: str,
                       plain: str) -> np.ndarray:
    """Name the first wanted hard skill the seeker holds (strength) or lacks (gap)."""
    book = pairs.book
    has = pairs.has[rows]
    pick_from = wanted & (has if strength else ~has)
    first = _best_column(pick_from.astype(np.float32), pick_from)
    phrases = (book.hard_held if strength else book.hard_missing)[np.maximum(first, 0)]
    return np.where(first >= 0, phrases + suffix, plain)


def _must_have_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    if strength:
        return np.full(len(rows), words.must_have_strength, dtype=object)
    return _hard_skill_reason(pairs, pairs.must_have[rows], rows, False, words.must_have_suffix,
                              words.must_have_gap_plain)


def _nice_to_have_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    if strength:
        return _hard_skill_reason(pairs, pairs.nice_to_have[rows], rows, True, words.nice_strength_suffix,
                                  words.nice_strength_plain)
    return _hard_skill_reason(pairs, pairs.nice_to_have[rows], rows, False, words.nice_gap_suffix,
                              words.nice_gap_plain)


def _occupation_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    plain = words.occupation_strength_plain if strength else words.occupation_gap_plain
    return _hard_skill_reason(pairs, pairs.essential[rows], rows, strength, words.occupation_suffix, plain)


def _education_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    if strength:
        return np.full(len(rows), words.education_strength, dtype=object)
    # Below what the vacancy or the occupation asks, or (the learned model may say so) far above it.
    below = np.minimum(pairs.X[rows, _EDUCATION], pairs.X[rows, kind.columns[1]]) < 0
    return np.where(below, words.education_below, words.education_above).astype(object)


def _language_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    gap = pairs.X[rows, _LANGUAGE]
    if strength:
        return np.where(gap > 0, words.language_above, words.language_enough).astype(object)
    return np.where(gap < 0, words.language_below, words.language_just_enough).astype(object)


def _travel_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    km = pairs.X[rows, _DISTANCE].astype(np.float64)
    km_text = np.where(km < 0.5, words.less_than_one_km, _fill(words.km, km=np.rint(km).astype(np.int64)))
    if strength:
        return _fill(words.travel_strength, km=km_text)
    too_far = pairs.X[rows, _TRAVEL_RATIO] > 1.0
    return _fill(words.travel_gap, km=km_text) + np.where(too_far, words.travel_too_far, "")


def _hours_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    return np.full(len(rows), words.hours_strength if strength else words.hours_gap, dtype=object)


def _sector_reason(pairs, kind, rows, named, strength, again):
    words = pairs.book.words
    sector = pairs.book.sectors[pairs.sector[rows]]
    return _fill(words.sector_strength if strength else words.sector_gap, sector=sector)


_RENDERERS = {
    "skills": _skills_reason, "level": _level_reason, "must_have": _must_have_reason,
    "nice_to_have": _nice_to_have_reason, "occupation": _occupation_reason, "education": _education_reason,
    "language": _language_reason, "travel": _travel_reason, "hours": _hours_reason, "sector": _sector_reason,
}


def _reason_texts(grouped: np.ndarray, kinds: list[_Kind], pairs: _Pairs, named: np.ndarray, *,
                  strength: bool, limit: int) -> np.ndarray:
    """The *limit* strongest reasons of one sign per pair, as sentences joined by spaces."""
    n = len(grouped)
    score = grouped if strength else -grouped
    allowed = score > MIN_CONTRIBUTION
    if strength:
        # A level strength quotes the passport, so the skill must have been measured.
        for k, kind in enumerate(kinds):
            if kind.family == "level":
                allowed[:, k] &= pairs.measured[:, kind.skill]
    ranked = np.where(allowed, score, -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")[:, :limit]
    texts = np.full(n, "", dtype=object)
    said_skills = np.zeros(n, dtype=bool)
    for slot in range(order.shape[1]):
        kind_of_row = order[:, slot]
        valid = np.isfinite(ranked[np.arange(n), kind_of_row])
        # Only the kinds some row names in this slot, in kind order: most of the ~30 kinds
        # name nobody, and a pass over every row for each cost more than the sentences.
        for k in np.unique(kind_of_row[valid]):
            kind = kinds[k]
            rows = np.flatnonzero(valid & (kind_of_row == k))
            if rows.size:
                sentence = _RENDERERS[kind.family](pairs, kind, rows, named, strength, said_skills[rows])
                texts[rows] = _join(texts[rows], sentence)
                if kind.family == "skills":
                    said_skills[rows] = True
    if limit > 0:
        words = pairs.book.words
        texts[texts == ""] = words.no_strengths if strength else words.no_gaps
    return texts


# --------------------------------------------------------------------------- training


def _best_trainings(seekers, vacancies, trainings, taxonomy, model, s, v, X, probability):
    """Per pair, the eligible training that raises P most (−1 if none gains enough) and P after it."""
    n = len(s)
    best = np.full(n, -1, dtype=np.int64)
    after = np.full(n, np.nan)
    if n == 0 or trainings.n == 0:
        return best, after
    unique_s, local = np.unique(s, return_inverse=True)
    pair, t = np.nonzero(training_eligibility(seekers.take(unique_s), trainings)[local])
    if pair.size == 0:
        return best, after
    distance = X[:, _DISTANCE]
    p = np.empty(len(pair))
    # All (pair, eligible training) rows are scored as batches, not pair by pair.
    for lo in range(0, len(pair), TRAINING_BATCH_ROWS):
        hi = min(lo + TRAINING_BATCH_ROWS, len(pair))
        trained = trained_profiles(seekers, trainings, s[pair[lo:hi]], t[lo:hi])
        features = pair_features(trained, vacancies, np.arange(hi - lo), v[pair[lo:hi]], taxonomy,
                                 distance_km=distance[pair[lo:hi]])
        p[lo:hi] = model.score_pairs(features)
    gain = p - probability[pair]
    # Largest gain first; ties go to the shorter course, then the lower index.
    order = np.lexsort((t, trainings.duration_weeks[t], -gain, pair))
    first_of_pair = np.ones(len(order), dtype=bool)
    first_of_pair[1:] = pair[order[1:]] != pair[order[:-1]]
    chosen = order[first_of_pair]
    chosen = chosen[gain[chosen] >= MIN_TRAINING_GAIN]
    best[pair[chosen]] = t[chosen]
    after[pair[chosen]] = p[chosen]
    return best, after


def _duration_text(weeks: np.ndarray, words: _Words) -> np.ndarray:
    whole = np.rint(weeks).astype(np.int64)
    return np.where(weeks < 0.75, words.few_days,
                    np.where(whole <= 1, words.one_week, _fill(words.weeks, n=whole))).astype(object)


def _course_labels(trainings, taxonomy, language: str) -> np.ndarray:
    """Each offer's name in *language* (its id when the catalogue has none), built once
    per offers object: the pandas lookup cost 2 ms a list, more than the sentences."""
    def build():
        ids = np.asarray(trainings.ids, dtype=object)
        labels = taxonomy.trainings[f"label_{language}"].reindex(ids).to_numpy(dtype=object)
        return np.where(pd.isna(labels), ids, labels)
    return derived(trainings, f"_course_labels_{language}_{id(taxonomy)}", build)


def _training_texts(pairs: _Pairs, trainings, taxonomy, language, best, rank_now, rank_after,
                    candidates) -> np.ndarray:
    words = pairs.book.words
    texts = np.full(len(best), "", dtype=object)
    rows = np.flatnonzero(best >= 0)
    if rows.size == 0:
        return texts
    t = best[rows]
    course, duration = _course_labels(trainings, taxonomy, language)[t], _duration_text(trainings.duration_weeks[t], words)
    # Name the certificate or skill the course adds, when this job or its kind of work wants it.
    wanted = pairs.must_have[rows] | pairs.nice_to_have[rows] | pairs.essential[rows]
    adds = trainings.grants[t] & ~pairs.has[rows] & wanted
    granted = _best_column(adds.astype(np.float32), adds)
    first = np.where(granted >= 0,
                     _fill(words.training_grants, course=course, duration=duration,
                           label=pairs.book.hard_labels[np.maximum(granted, 0)]),
                     _fill(words.training_closes_gap, course=course, duration=duration))
    if candidates is None:
        second = np.full(len(rows), words.rank_unknown, dtype=object)
    else:
        now, after, n = rank_now[rows], rank_after[rows], candidates[rows]
        place = pairs.book.place
        second = np.where(n <= 1, words.rank_only,
                          np.where(after < now, _fill(words.rank_move, now=place(now), after=place(after), n=n),
                                   _fill(words.rank_stay, now=place(now), n=n)))
    texts[rows] = _join(first, second)
    return texts


# --------------------------------------------------------------------------- ranks


def _competitor_arrays(competitors):
    """(seeker, vacancy, score) arrays from a triple or from a CandidateGraph."""
    if all(hasattr(competitors, a) for a in ("seeker", "vacancy", "score")):
        competitors = (competitors.seeker, competitors.vacancy, competitors.score)
    try:
        seeker, vacancy, score = (np.asarray(a) for a in competitors)
    except (TypeError, ValueError):
        raise ValueError("competitors: expected a triple (seeker_index, vacancy_index, score) "
                         "or a CandidateGraph") from None
    if not (seeker.ndim == vacancy.ndim == score.ndim == 1 and len(seeker) == len(vacancy) == len(score)):
        raise ValueError(f"competitors: the three arrays must be 1-D and equally long, got shapes "
                         f"{seeker.shape}, {vacancy.shape}, {score.shape}")
    if np.isnan(score.astype(np.float64)).any():
        raise ValueError("competitors: scores must not be NaN")
    return seeker.astype(np.int64), vacancy.astype(np.int64), score.astype(np.float64)


def _ranks(competitors, s, v, scores: list[np.ndarray]):
    """Rank of each score among the other candidates of the pair's vacancy, and their count + 1.

    Rank = 1 + the number of *other* candidates (the pair's own seeker excluded) of the
    same vacancy with a strictly higher score. Sorting once by (vacancy, score) and
    binary searches answer every pair at once. NaN scores get rank −1.
    """
    cs, cv, cscore = competitors
    # Integer ranks of all scores together make (vacancy, score) one exact int64 key.
    finite = [np.nan_to_num(x, nan=0.0) for x in scores]
    values, code = np.unique(np.concatenate([cscore, *finite]), return_inverse=True)
    base = np.int64(len(values) + 1)
    competitor_code = code[: len(cscore)]
    keys = np.sort(cv * base + competitor_code)
    # The pair's own row, if the graph holds it, is not a competitor.
    n_v = int(max(cv.max(initial=-1), v.max(initial=-1))) + 1
    own_keys = cs * n_v + cv
    by_key = np.argsort(own_keys, kind="stable")
    sorted_keys = own_keys[by_key]
    query = s * n_v + v
    own = np.zeros(len(s), dtype=bool)
    own_code = np.full(len(s), -1, dtype=np.int64)
    if len(sorted_keys):
        at = np.minimum(np.searchsorted(sorted_keys, query), len(sorted_keys) - 1)
        own = sorted_keys[at] == query
        own_code = np.where(own, competitor_code[by_key[at]], -1)
    vacancy_end = np.searchsorted(keys, (v + 1) * base, side="left")
    vacancy_start = np.searchsorted(keys, v * base, side="left")
    candidates = vacancy_end - vacancy_start - own + 1
    ranks = []
    offset = len(cscore)
    for x in scores:
        x_code = code[offset: offset + len(x)]
        offset += len(x)
        higher = vacancy_end - np.searchsorted(keys, v * base + x_code, side="right")
        higher -= own & (own_code > x_code)
        ranks.append(np.where(np.isnan(x), -1, higher + 1))
    return ranks, candidates


def _nullable_int(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), np.asarray(missing, dtype=bool))


# --------------------------------------------------------------------------- public


def _check_language(language) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language: expected one of {LANGUAGES}, got {language!r}")


def _check_index(name: str, index, n: int) -> np.ndarray:
    index = np.asarray(index)
    if index.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {index.shape}")
    if index.size and not np.issubdtype(index.dtype, np.integer):
        raise ValueError(f"{name}: expected integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= n):
        raise ValueError(f"{name}: values must lie in 0..{n - 1}, got {index.min()}..{index.max()}")
    return index.astype(np.int64)


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}: must be a whole number of at least 0, got {value!r}")
    return int(value)


def explain_pairs(seekers: SeekerArrays, vacancies: VacancyArrays, trainings: TrainingArrays, taxonomy: Taxonomy,
                  seeker_index, vacancy_index, model, *, competitors=None, language: str = "en",
                  max_strengths: int = 2, max_gaps: int = 2) -> pd.DataFrame:
    """Strengths, gaps and the most helpful training of each pair, in plain words.

    Parameters
    ----------
    seekers, vacancies, trainings : population arrays (observed passports).
    taxonomy : Taxonomy
    seeker_index, vacancy_index : array-like of int, shape (n_pairs,)
        The pairs to explain, e.g. a seeker's ten best vacancies.
    model : AdditivePlacementModel or RuleBasedScorer
        A fitted model with ``score_pairs``; see :func:`pair_contributions`.
    competitors : (seeker_index, vacancy_index, score) triple or CandidateGraph, optional
        The candidate graph the ranks are counted in. For each pair, the other candidates
        of its vacancy are the graph's rows of that vacancy except the pair's own seeker.
        Without it, ranks and candidate counts are missing.
    language : {"en", "nl"}
    max_strengths, max_gaps : int
        At most this many reasons of each kind per pair.

    Returns
    -------
    DataFrame
        One row per pair, in input order: ``seeker_id``, ``vacancy_id``, ``probability``,
        ``strengths``, ``gaps``, ``training_id`` ("" if none), ``training_text`` ("" if
        none), ``probability_after_training`` (NaN if none), ``rank_now``,
        ``rank_after_training`` and ``candidates`` (nullable Int64).

    Notes
    -----
    A strength is a reason kind whose summed contribution exceeds
    :data:`MIN_CONTRIBUTION` log-odds, a gap one below minus that; the largest are
    named first. The training is the eligible offer (see
    :func:`matching.pathways.training_eligibility`) whose after-training profile gives
    the largest rise in the model's probability, if that rise is at least
    :data:`MIN_TRAINING_GAIN`; ties go to the shorter course, then the lower index.
    """
    return pd.DataFrame(explain_pairs_columns(
        seekers, vacancies, trainings, taxonomy, seeker_index, vacancy_index, model, competitors=competitors,
        language=language, max_strengths=max_strengths, max_gaps=max_gaps))


def explain_pairs_columns(seekers: SeekerArrays, vacancies: VacancyArrays, trainings: TrainingArrays, taxonomy: Taxonomy,
                          seeker_index, vacancy_index, model, *, competitors=None, language: str = "en",
                          max_strengths: int = 2, max_gaps: int = 2) -> dict[str, np.ndarray]:
    """:func:`explain_pairs` as a dict of column arrays: for callers that read whole columns."""
    _check_language(language)
    max_strengths = _check_count("max_strengths", max_strengths)
    max_gaps = _check_count("max_gaps", max_gaps)
    s = _check_index("seeker_index", seeker_index, seekers.n)
    v = _check_index("vacancy_index", vacancy_index, vacancies.n)
    if len(s) != len(v):
        raise ValueError(f"vacancy_index: expected {len(s)} values (one per seeker_index), got {len(v)}")
    ranked_in = None if competitors is None else _competitor_arrays(competitors)

    X = pair_features(seekers, vacancies, s, v, taxonomy)
    contributions = pair_contributions(model, X, taxonomy)
    probability = np.asarray(model.score_pairs(X), dtype=np.float64)
    kinds = _reason_kinds(taxonomy)
    grouped = _kind_totals(contributions, kinds)
    pairs = _Pairs.build(seekers, vacancies, taxonomy, s, v, X, _phrasebook(language, taxonomy))
    # Skills named once are not named again for the same pair (strengths first, then gaps).
    named = np.zeros((len(s), taxonomy.n_soft_skills), dtype=bool)
    strengths = _reason_texts(grouped, kinds, pairs, named, strength=True, limit=max_strengths)
    gaps = _reason_texts(grouped, kinds, pairs, named, strength=False, limit=max_gaps)

    best, after = _best_trainings(seekers, vacancies, trainings, taxonomy, model, s, v, X, probability)
    no_training = best < 0
    if ranked_in is None:
        rank_now = rank_after = candidates = np.zeros(len(s), dtype=np.int64)
        unknown = np.ones(len(s), dtype=bool)
    else:
        (rank_now, rank_after), candidates = _ranks(ranked_in, s, v, [probability, after])
        unknown = np.zeros(len(s), dtype=bool)
    training_text = _training_texts(pairs, trainings, taxonomy, language, best, rank_now, rank_after,
                                    None if ranked_in is None else candidates)
    training_ids = np.asarray(trainings.ids, dtype=object)
    return {
        "seeker_id": np.asarray(seekers.ids, dtype=object)[s],
        "vacancy_id": np.asarray(vacancies.ids, dtype=object)[v],
        "probability": probability,
        "strengths": strengths,
        "gaps": gaps,
        "training_id": np.where(no_training, "", training_ids[np.maximum(best, 0)] if trainings.n else "")
        .astype(object),
        "training_text": training_text,
        "probability_after_training": after,
        "rank_now": _nullable_int(rank_now, unknown),
        "rank_after_training": _nullable_int(rank_after, unknown | no_training),
        "candidates": _nullable_int(candidates, unknown),
    }


def course_texts(seekers: SeekerArrays, vacancies: VacancyArrays, trainings: TrainingArrays, taxonomy: Taxonomy,
                 seeker_index, vacancy_index, training_index, *, language: str = "en") -> np.ndarray:
    """What a given course does for each pair, worded as :func:`explain_pairs` words its ``training_text``.

    For a pathway the course is already chosen (it grants the missing must-have), so
    nothing is scored; ranks are not known here and the text says so.
    """
    _check_language(language)
    s = _check_index("seeker_index", seeker_index, seekers.n)
    v = _check_index("vacancy_index", vacancy_index, vacancies.n)
    t = _check_index("training_index", training_index, trainings.n)
    if not len(s) == len(v) == len(t):
        raise ValueError(f"training_index: expected {len(s)} values (one per pair), got {len(v)} vacancies "
                         f"and {len(t)} courses")
    pairs = _Pairs.build(seekers, vacancies, taxonomy, s, v, None, _phrasebook(language, taxonomy))
    nothing = np.zeros(len(s), dtype=np.int64)
    return _training_texts(pairs, trainings, taxonomy, language, t, nothing, nothing, None)


__all__ = ["LANGUAGES", "MIN_CONTRIBUTION", "MIN_TRAINING_GAIN", "course_texts", "explain_pairs", "explain_pairs_columns",
           "pair_contributions"]
