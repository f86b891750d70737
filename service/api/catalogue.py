"""In-memory array views of the stored catalogues, for ranking on every request.

Three views: open vacancies (:class:`VacancyView`), active training offers
(:class:`~passport.population.TrainingArrays`) and the seekers visible to employers
(:class:`SeekerView`). A request reads the catalogue change counters once
(:func:`snapshot`); a view is rebuilt only when its counter moved, under
``ctx.cache_lock`` so concurrent requests build it once.

Vacancies and passports are refreshed *incrementally*: the rows whose stored version
and update time did not change are reused, only new or changed documents are read and
parsed. The parse goes straight from the stored JSON (validated when it was written)
into arrays. For 100,000 synthetic vacancies (CPU seconds on the 2-core development
machine): ``json.loads`` 6.2 + ``Vacancy.model_validate`` 18.1 +
``VacancyArrays.from_vacancies`` 7.4, against pydantic-core's ``from_json`` 3.0 + the
direct parse 2.0. Tests check that both paths give the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
from pydantic_core import from_json
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from matching.candidates import FeatureScorer
from passport.models import PRIOR_LEVEL, PRIOR_SE, TrainingOffer
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import CEFR_LEVELS, Taxonomy
from service.api.context import ServiceContext
from service.db.tables import CatalogueVersion, PassportRecord, TrainingOfferRecord, VacancyRecord

_CEFR_RANK = {level: rank for rank, level in enumerate(CEFR_LEVELS, start=1)}
# Changed rows are read by id in chunks; beyond this many a filtered scan is cheaper.
_BY_ID_LIMIT = 2_000
_ID_CHUNK = 500


class CatalogueError(RuntimeError):
    """A stored document no longer fits the taxonomy (e.g. it names a removed skill)."""


# --------------------------------------------------------------------------- views


@dataclass(frozen=True, eq=False)
class VacancyView:
    """Open vacancies: arrays for matching plus what a list shows; rows ordered by id."""

    arrays: VacancyArrays  # arrays.ids are the vacancy ids
    employer_ids: np.ndarray
    titles: np.ndarray
    occupation_ids: np.ndarray
    stamps: np.ndarray  # (version, updated_at) per row: what the incremental refresh compares

    @property
    def n(self) -> int:
        return self.arrays.n


@dataclass(frozen=True, eq=False)
class SeekerView:
    """Passports visible to employers; rows ordered by passport id.

    In these arrays ``consent_matching`` is True throughout: what matters for an
    employer's view is visibility, applied per employer by :meth:`allows`.
    """

    arrays: SeekerArrays  # arrays.ids are the passport ids
    holder_ids: np.ndarray
    named_employers: np.ndarray  # per row: tuple of employer ids the holder named (empty: every employer)
    stamps: np.ndarray

    @property
    def n(self) -> int:
        return self.arrays.n

    @cached_property
    def _rows_naming(self) -> dict[str, np.ndarray]:
        rows = np.repeat(np.arange(self.n), [len(named) for named in self.named_employers])
        employers, group = np.unique(np.array([e for named in self.named_employers for e in named], dtype=object),
                                     return_inverse=True)
        order = np.argsort(group, kind="stable")
        return dict(zip(employers, np.split(rows[order], np.cumsum(np.bincount(group))[:-1])))

    @cached_property
    def _open_to_all(self) -> np.ndarray:
        return np.array([len(named) == 0 for named in self.named_employers], dtype=bool).reshape(self.n)

    def allows(self, employer_id: str) -> np.ndarray:
        """Bool mask of the rows whose consent lets *employer_id* see them."""
        mask = self._open_to_all.copy()
        mask[self._rows_naming.get(employer_id, np.empty(0, dtype=np.int64))] = True
        return mask


def _take_rows(obj, index):
    """Every row-wise array of *obj* (nested dataclasses included) taken at *index*."""
    return type(obj)(**{f.name: _take_rows(getattr(obj, f.name), index) if is_dataclass(getattr(obj, f.name))
                        else getattr(obj, f.name)[index] for f in fields(obj)})


def _concat_rows(first, second):
    return type(first)(**{f.name: _concat_rows(getattr(first, f.name), getattr(second, f.name))
                          if is_dataclass(getattr(first, f.name))
                          else np.concatenate([getattr(first, f.name), getattr(second, f.name)])
                          for f in fields(first)})


def _stamps(pairs) -> np.ndarray:
    # fromiter keeps each tuple one element; np.array would make a 2-D array of them.
    return np.fromiter((tuple(p) for p in pairs), dtype=object, count=len(pairs))


# --------------------------------------------------------------------------- parsing


def _hard_mask(taxonomy: Taxonomy, id_lists, what: str, record_ids) -> np.ndarray:
    lengths = np.array([len(ids) for ids in id_lists], dtype=np.int64)
    flat = [h for ids in id_lists for h in ids]
    columns = pd.Index(taxonomy.hard_skill_ids).get_indexer(flat)
    if (columns < 0).any():
        bad = int(np.flatnonzero(columns < 0)[0])
        owner = record_ids[int(np.searchsorted(np.cumsum(lengths), bad, side="right"))]
        raise CatalogueError(f"{owner}: {what} names unknown hard skill {flat[bad]!r}")
    mask = np.zeros((len(id_lists), taxonomy.n_hard_skills), dtype=bool)
    mask[np.repeat(np.arange(len(id_lists)), lengths), columns] = True
    return mask


def _sector_mask(taxonomy: Taxonomy, id_lists, record_ids) -> np.ndarray:
    sectors = pd.Index(taxonomy.sectors)
    lengths = np.array([len(ids) for ids in id_lists], dtype=np.int64)
    flat = [s for ids in id_lists for s in ids]
    columns = sectors.get_indexer(flat)
    if (columns < 0).any():
        bad = int(np.flatnonzero(columns < 0)[0])
        owner = record_ids[int(np.searchsorted(np.cumsum(lengths), bad, side="right"))]
        raise CatalogueError(f"{owner}: unknown sector {flat[bad]!r}")
    mask = np.zeros((len(id_lists), len(sectors)), dtype=bool)
    mask[np.repeat(np.arange(len(id_lists)), lengths), columns] = True
    return mask


def vacancy_arrays_from_documents(documents: list[dict], taxonomy: Taxonomy) -> VacancyArrays:
    """``VacancyArrays.from_vacancies`` for stored (already validated) Vacancy JSON, without the objects."""
    n, skill_ids = len(documents), taxonomy.skill_ids
    ids = np.array([d["vacancy_id"] for d in documents], dtype=object).reshape(n)
    occupation = pd.Index(taxonomy.occupation_ids).get_indexer([d["occupation_id"] for d in documents])
    if (occupation < 0).any():
        bad = int(np.flatnonzero(occupation < 0)[0])
        raise CatalogueError(f"{ids[bad]}: unknown occupation {documents[bad]['occupation_id']!r}")
    occupation_sector = pd.Index(taxonomy.sectors).get_indexer(taxonomy.occupations["sector"])
    try:
        terms = np.array([(r["level"], r["importance"]) for d in documents for r in
                          map(d["requirements"].__getitem__, skill_ids)], dtype=np.float32)
    except KeyError as missing:
        raise CatalogueError(f"a stored vacancy has no requirement for soft skill {missing}") from None
    terms = terms.reshape(n, len(skill_ids), 2)
    return VacancyArrays(
        ids=ids, occupation=occupation.astype(np.int16), sector=occupation_sector[occupation].astype(np.int8),
        required=np.ascontiguousarray(terms[:, :, 0]), importance=np.ascontiguousarray(terms[:, :, 1]),
        must_have=_hard_mask(taxonomy, [d["must_have"] for d in documents], "must_have", ids),
        nice_to_have=_hard_mask(taxonomy, [d["nice_to_have"] for d in documents], "nice_to_have", ids),
        min_dutch_cefr=np.array([_CEFR_RANK[d["min_dutch_cefr"]] for d in documents], dtype=np.int8),
        min_eqf=np.array([d["min_eqf"] for d in documents], dtype=np.int8),
        lat=np.array([d["location"]["lat"] for d in documents], dtype=np.float64),
        lon=np.array([d["location"]["lon"] for d in documents], dtype=np.float64),
        hours_min=np.array([d["hours_min"] for d in documents], dtype=np.int16),
        hours_max=np.array([d["hours_max"] for d in documents], dtype=np.int16),
        openings=np.array([d["openings"] for d in documents], dtype=np.int32),
    )


def seeker_arrays_from_documents(documents: list[dict], taxonomy: Taxonomy) -> SeekerArrays:
    """``SeekerArrays.from_passports`` for stored (already validated) Passport JSON, without the objects."""
    n, n_skills = len(documents), taxonomy.n_soft_skills
    ids = np.array([d["passport_id"] for d in documents], dtype=object).reshape(n)
    skill_index = {s: k for k, s in enumerate(taxonomy.skill_ids)}
    cells = [(i, skill_index.get(s, -1), e["level"], e["se"])
             for i, d in enumerate(documents) for s, e in d["profile"]["skills"].items()]
    levels = np.full((n, n_skills), PRIOR_LEVEL, dtype=np.float32)
    se = np.full((n, n_skills), PRIOR_SE, dtype=np.float32)
    measured = np.zeros((n, n_skills), dtype=bool)
    if cells:
        rows, columns, level, error = (np.array(c) for c in zip(*cells))
        rows, columns = rows.astype(np.int64), columns.astype(np.int64)
        if (columns < 0).any():
            raise CatalogueError(f"{ids[rows[np.argmax(columns < 0)]]}: profile names an unknown soft skill")
        levels[rows, columns], se[rows, columns], measured[rows, columns] = level, error, True
    preferences = [d["preferences"] for d in documents]
    wanted = _sector_mask(taxonomy, [p["sectors"] for p in preferences], ids)
    wanted[~wanted.any(axis=1)] = True  # no sector named: any sector
    dutch = [max((_CEFR_RANK[lang["cefr"]] for lang in d["languages"] if lang["language"] == "nl"), default=0)
             for d in documents]
    return SeekerArrays(
        ids=ids, levels=levels, se=se, measured=measured,
        hard=_hard_mask(taxonomy, [[c["hard_skill_id"] for c in d["hard_skills"]] for d in documents],
                        "hard_skills", ids),
        eqf=np.array([d["education_eqf"] for d in documents], dtype=np.int8),
        dutch_cefr=np.array(dutch, dtype=np.int8),
        lat=np.array([d["location"]["lat"] for d in documents], dtype=np.float64),
        lon=np.array([d["location"]["lon"] for d in documents], dtype=np.float64),
        max_travel_km=np.array([p["max_travel_km"] for p in preferences], dtype=np.float32),
        hours_min=np.array([p["hours_min"] for p in preferences], dtype=np.int16),
        hours_max=np.array([p["hours_max"] for p in preferences], dtype=np.int16),
        sector_pref=wanted, sector_excluded=_sector_mask(taxonomy, [p["excluded_sectors"] for p in preferences], ids),
        consent_matching=np.array([d["consent"]["include_in_batch_matching"] for d in documents], dtype=bool)
        .reshape(n),
    )


# --------------------------------------------------------------------------- builders


def _refresh(previous, listing, fetch, parse, empty):
    """The view for *listing* ((id, stamp) rows in view order), reusing *previous*'s unchanged rows.

    *fetch(ids)* returns {id: (stamp, row)} for those of *ids* still in the catalogue;
    *parse(rows, stamps)* the view of those rows in the given order.
    """
    old_rows = {} if previous is None else previous.row_index
    old_stamps = {} if previous is None else dict(zip(previous.keys, previous.view.stamps))
    changed = {key for key, stamp in listing if old_stamps.get(key) != stamp}
    fetched = fetch(sorted(changed)) if changed else {}
    fresh_keys = [key for key, _ in listing if key in fetched]
    fresh = parse([fetched[key][1] for key in fresh_keys], _stamps([fetched[key][0] for key in fresh_keys]))
    base = empty() if previous is None else previous.view
    fresh_position = {key: base.n + j for j, key in enumerate(fresh_keys)}
    # A row that changed but left the catalogue before it was read is dropped.
    keys = [key for key, _ in listing if key in fresh_position or key not in changed]
    positions = np.array([fresh_position[key] if key in fresh_position else old_rows[key] for key in keys],
                         dtype=np.int64)
    return _Cached(view=_take_rows(_concat_rows(base, fresh), positions), keys=keys)


@dataclass(frozen=True, eq=False)
class _Cached:
    view: object
    keys: list

    @cached_property
    def row_index(self) -> dict:
        return {key: i for i, key in enumerate(self.keys)}


def _as_text(column):
    # The raw JSON text, decoded by pydantic-core: twice as fast as the json module on 100,000 documents.
    return cast(column, Text).label("document")


def _in_chunks(db: Session, query, column, ids):
    for lo in range(0, len(ids), _ID_CHUNK):
        yield from db.execute(query.where(column.in_(ids[lo:lo + _ID_CHUNK])))


def _fetch_vacancies(db: Session, ids: list[str]) -> dict:
    query = select(VacancyRecord.vacancy_id, VacancyRecord.version, VacancyRecord.updated_at,
                   VacancyRecord.employer_id, _as_text(VacancyRecord.document)).where(VacancyRecord.status == "open")
    wanted = set(ids)
    rows = db.execute(query) if len(ids) > _BY_ID_LIMIT else _in_chunks(db, query, VacancyRecord.vacancy_id, ids)
    return {r.vacancy_id: ((r.version, r.updated_at), r) for r in rows if r.vacancy_id in wanted}


def _parse_vacancies(taxonomy: Taxonomy, rows, stamps) -> VacancyView:
    documents = [from_json(r.document) for r in rows]
    return VacancyView(arrays=vacancy_arrays_from_documents(documents, taxonomy),
                       employer_ids=np.array([r.employer_id for r in rows], dtype=object).reshape(len(rows)),
                       titles=np.array([d["title"] for d in documents], dtype=object).reshape(len(rows)),
                       occupation_ids=np.array([d["occupation_id"] for d in documents], dtype=object)
                       .reshape(len(rows)), stamps=stamps)


def _build_vacancies(ctx: ServiceContext, db: Session, previous: _Cached | None) -> _Cached:
    listing = [(r.vacancy_id, (r.version, r.updated_at)) for r in db.execute(
        select(VacancyRecord.vacancy_id, VacancyRecord.version, VacancyRecord.updated_at)
        .where(VacancyRecord.status == "open").order_by(VacancyRecord.vacancy_id))]
    return _refresh(previous, listing, lambda ids: _fetch_vacancies(db, ids),
                    lambda rows, stamps: _parse_vacancies(ctx.taxonomy, rows, stamps),
                    lambda: _parse_vacancies(ctx.taxonomy, [], _stamps([])))


def _fetch_passports(db: Session, ids: list[str]) -> dict:
    query = select(PassportRecord.passport_id, PassportRecord.version, PassportRecord.updated_at,
                   PassportRecord.holder_id, _as_text(PassportRecord.document)) \
        .where(PassportRecord.visible_to_employers)
    wanted = set(ids)
    rows = db.execute(query) if len(ids) > _BY_ID_LIMIT else _in_chunks(db, query, PassportRecord.passport_id, ids)
    return {r.passport_id: ((r.version, r.updated_at), r) for r in rows if r.passport_id in wanted}


def _parse_passports(taxonomy: Taxonomy, rows, stamps) -> SeekerView:
    documents = [from_json(r.document) for r in rows]
    arrays = seeker_arrays_from_documents(documents, taxonomy)
    named = np.fromiter((tuple(d["consent"]["employer_ids"]) for d in documents), dtype=object, count=len(rows))
    return SeekerView(arrays=replace(arrays, consent_matching=np.ones(len(rows), dtype=bool)),
                      holder_ids=np.array([r.holder_id for r in rows], dtype=object).reshape(len(rows)),
                      named_employers=named, stamps=stamps)


def _build_seekers(ctx: ServiceContext, db: Session, previous: _Cached | None) -> _Cached:
    listing = [(r.passport_id, (r.version, r.updated_at)) for r in db.execute(
        select(PassportRecord.passport_id, PassportRecord.version, PassportRecord.updated_at)
        .where(PassportRecord.visible_to_employers).order_by(PassportRecord.passport_id))]
    return _refresh(previous, listing, lambda ids: _fetch_passports(db, ids),
                    lambda rows, stamps: _parse_passports(ctx.taxonomy, rows, stamps),
                    lambda: _parse_passports(ctx.taxonomy, [], _stamps([])))


def _build_trainings(ctx: ServiceContext, db: Session, previous) -> _Cached:
    rows = db.execute(select(TrainingOfferRecord.active, TrainingOfferRecord.document)
                      .order_by(TrainingOfferRecord.training_id)).all()
    if not rows:  # nothing stored yet: the reference catalogue stands in
        return _Cached(view=TrainingArrays.from_taxonomy(ctx.taxonomy), keys=[])
    offers = [TrainingOffer.model_validate(r.document) for r in rows if r.active]
    return _Cached(view=TrainingArrays.from_offers(offers, ctx.taxonomy), keys=[])


_BUILDERS = {"vacancies": _build_vacancies, "passports": _build_seekers, "trainings": _build_trainings}


# --------------------------------------------------------------------------- access


class Snapshot:
    """The catalogues as of one request: counters read once, views built on first use."""

    def __init__(self, ctx: ServiceContext, db: Session):
        self._ctx, self._db = ctx, db
        rows = db.execute(select(CatalogueVersion.name, CatalogueVersion.version))
        self._versions = {name: version for name, version in rows}

    def version(self, name: str) -> int:
        return self._versions.get(name, 0)

    def _view(self, name: str):
        key, version = f"catalogue:{name}", self._versions.get(name, 0)
        cached = self._ctx.caches.get(key)
        if cached is not None and cached[0] == version:
            return cached[1].view
        with self._ctx.cache_lock:
            cached = self._ctx.caches.get(key)
            if cached is None or cached[0] != version:
                built = _BUILDERS[name](self._ctx, self._db, None if cached is None else cached[1])
                self._ctx.caches[key] = cached = (version, built)
            return cached[1].view

    @property
    def vacancies(self) -> VacancyView:
        return self._view("vacancies")

    @property
    def trainings(self) -> TrainingArrays:
        return self._view("trainings")

    @property
    def seekers(self) -> SeekerView:
        return self._view("passports")


def snapshot(ctx: ServiceContext, db: Session) -> Snapshot:
    return Snapshot(ctx, db)


def pair_scorer(ctx: ServiceContext) -> FeatureScorer:
    """One scorer adapter per process, so an unfitted rule-based scorer is fitted once, under its lock."""
    scorer = ctx.caches.get("pair_scorer")
    if scorer is None:
        with ctx.cache_lock:
            scorer = ctx.caches.setdefault("pair_scorer", FeatureScorer(ctx.scorer, ctx.taxonomy))
    return scorer
