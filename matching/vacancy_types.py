"""Vacancy requirement types: the knock-outs decided once per type instead of once per pair.

Every knock-out except travel depends on the vacancy only through a handful of fields:
its must-have hard skills, hours range, minimum Dutch level and sector. Vacancies that share
those fields (and the occupation, nice-to-haves and education level the pre-screen reads)
form one *type*; a national market of 200,000 vacancies has a few hundred. A seeker's
eligibility is then a ``(seekers × types)`` table, and per-reason knock-out counts over all
vacancies are a matrix–vector product with the number of vacancies of each type.

Hard skills are packed into 64-bit words so "lacks a must-have" is one AND per word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.bits import pack_bits
from matching.candidates import N_REASONS, Knockout
from passport.population import SeekerArrays, VacancyArrays


@dataclass(frozen=True, eq=False)
class VacancyTypes:
    """Distinct requirement types and which type each vacancy has.

    Attributes
    ----------
    type_of : ndarray of shape (n_vacancies,), int32
    count : ndarray of shape (n_types,), int64
        Vacancies of each type.
    occupation, sector, min_dutch_cefr, min_eqf, hours_min, hours_max : ndarrays of shape (n_types,)
    must_bits, nice_bits : ndarrays of shape (n_types, n_words), uint64
    """

    type_of: np.ndarray
    count: np.ndarray
    occupation: np.ndarray
    sector: np.ndarray
    min_dutch_cefr: np.ndarray
    min_eqf: np.ndarray
    hours_min: np.ndarray
    hours_max: np.ndarray
    must_bits: np.ndarray
    nice_bits: np.ndarray

    @property
    def n(self) -> int:
        return len(self.count)


def vacancy_types(vacancies: VacancyArrays) -> VacancyTypes:
    """Group vacancies by every field the knock-outs and the pre-screen table read."""
    must, nice = pack_bits(vacancies.must_have), pack_bits(vacancies.nice_to_have)
    columns = [vacancies.occupation, vacancies.sector, vacancies.min_dutch_cefr, vacancies.min_eqf,
               vacancies.hours_min, vacancies.hours_max]
    key = np.column_stack([np.asarray(c, dtype=np.int64) for c in columns]
                          + [must.view(np.int64), nice.view(np.int64)])
    _, first, type_of, count = np.unique(key, axis=0, return_index=True, return_inverse=True,
                                              return_counts=True)
    rep = first  # one representative vacancy per type: all of them agree on these fields
    return VacancyTypes(
        type_of=type_of.reshape(-1).astype(np.int32), count=count.astype(np.int64),
        occupation=vacancies.occupation[rep], sector=vacancies.sector[rep],
        min_dutch_cefr=vacancies.min_dutch_cefr[rep], min_eqf=vacancies.min_eqf[rep],
        hours_min=vacancies.hours_min[rep], hours_max=vacancies.hours_max[rep],
        must_bits=must[rep], nice_bits=nice[rep])


@dataclass(frozen=True, eq=False)
class BlockEligibility:
    """Knock-outs of a block of seekers against every vacancy type.

    ``eligible[b, t]`` is True when seeker *b* passes every knock-out except travel for
    type *t*; ``failing[reason]`` holds each of those checks' own failures, as in
    :func:`matching.candidates.knockout_codes`.
    """

    eligible: np.ndarray
    failing: dict


def block_eligibility(seekers: SeekerArrays, seeker_bits: np.ndarray, rows: np.ndarray,
                      types: VacancyTypes) -> BlockEligibility:
    """Eligibility of seekers *rows* (``seeker_bits`` = their packed hard skills) for each type."""
    lacks_must = np.zeros((len(rows), types.n), dtype=bool)
    for word in range(types.must_bits.shape[1]):  # one pass per 64 hard skills
        lacks_must |= (types.must_bits[None, :, word] & ~seeker_bits[rows, word][:, None]) != 0
    hours = (np.minimum(seekers.hours_max[rows, None], types.hours_max[None, :])
             < np.maximum(seekers.hours_min[rows, None], types.hours_min[None, :]))
    language = seekers.dutch_cefr[rows, None] < types.min_dutch_cefr[None, :]
    excluded = seekers.sector_excluded[rows][:, types.sector]
    no_consent = np.broadcast_to(~seekers.consent_matching[rows, None], hours.shape)
    failing = {Knockout.NO_CONSENT: no_consent, Knockout.HOURS: hours,
               Knockout.LANGUAGE: language, Knockout.MUST_HAVE: lacks_must, Knockout.SECTOR_EXCLUDED: excluded}
    eligible = ~(no_consent | hours | language | lacks_must | excluded)
    return BlockEligibility(eligible=eligible, failing=failing)


def block_knockout_counts(eligibility: BlockEligibility, types: VacancyTypes, within: np.ndarray,
                          feasible: np.ndarray, n_vacancies: int) -> np.ndarray:
    """Per-seeker knock-out counts over all vacancies, shape ``(n_block, N_REASONS)``.

    *within* counts the vacancies inside each seeker's travel limit, *feasible* those that
    pass every check; the other reasons are type counts weighted by vacancies per type.
    """
    counts = np.zeros((len(within), N_REASONS), dtype=np.int64)
    reasons = list(eligibility.failing)
    # One float64 product for all reasons: BLAS, where an int64 product runs NumPy's own
    # loop; sums of vacancy counts stay exact in float64 far beyond any catalogue.
    masks = np.stack([eligibility.failing[reason] for reason in reasons], axis=1).astype(np.float64)
    counts[:, reasons] = (masks @ types.count.astype(np.float64)).round().astype(np.int64)
    counts[:, Knockout.TRAVEL] = n_vacancies - within
    counts[:, Knockout.FEASIBLE] = feasible
    return counts
