"""The skills language: soft skills, mastery levels, hard skills, occupations, training
offers and regions, loaded from ``data/`` and validated.

Every malformed file raises :class:`~passport.errors.TaxonomyError` naming the file, the
line and the field. Loading is cached per data folder; the returned object is immutable
and hands out read-only arrays, so hot paths can share it without copying.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from passport.errors import TaxonomyError
from passport.resources import data_dir

CEFR_LEVELS: tuple[str, ...] = ("A1", "A2", "B1", "B2", "C1", "C2")
MASTERY_MIN, MASTERY_MAX = 1.0, 5.0
TRAINING_KINDS = ("elearning", "short_course", "certificate_course")
HARD_SKILL_KINDS = ("certificate", "esco_skill")
ESCO_PREFIX = "http://data.europa.eu/esco/"


def cefr_rank(level: str) -> int:
    """``"A1"`` → 1 … ``"C2"`` → 6."""
    try:
        return CEFR_LEVELS.index(level) + 1
    except ValueError:
        raise ValueError(f"unknown CEFR level {level!r}; expected one of {', '.join(CEFR_LEVELS)}") from None


# --------------------------------------------------------------------------- reading


class _Table:
    """A CSV read as strings, with checks that report file, line and field."""

    def __init__(self, root: Path, relative: str, required: list[str]):
        self.name = relative
        path = root / relative
        if not path.is_file():
            raise TaxonomyError(relative, f"file not found in {root}")
        try:
            self.frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise TaxonomyError(relative, f"not a readable CSV file ({exc})") from exc
        missing = [c for c in required if c not in self.frame.columns]
        if missing:
            raise TaxonomyError(relative, f"missing column(s): {', '.join(missing)}")
        for column in required:
            self.frame[column] = self.frame[column].str.strip()

    def line(self, position: int) -> int:
        return int(position) + 2  # header is line 1

    def fail(self, position: int, field: str, problem: str) -> None:
        raise TaxonomyError(self.name, problem, row=self.line(position), field=field)

    def nonempty(self, *columns: str) -> None:
        for column in columns:
            empty = np.flatnonzero(self.frame[column].to_numpy() == "")
            if empty.size:
                self.fail(empty[0], column, "value is empty")

    def unique(self, column: str) -> None:
        duplicated = np.flatnonzero(self.frame[column].duplicated().to_numpy())
        if duplicated.size:
            value = self.frame[column].iloc[duplicated[0]]
            self.fail(duplicated[0], column, f"duplicate id {value!r}")

    def numbers(self, column: str, low: float, high: float, *, integer: bool = False) -> np.ndarray:
        values = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            self.fail(bad[0], column, f"{self.frame[column].iloc[bad[0]]!r} is not a number")
        out_of_range = np.flatnonzero((values < low) | (values > high))
        if out_of_range.size:
            self.fail(out_of_range[0], column, f"{values[out_of_range[0]]:g} is outside {low:g}–{high:g}")
        if integer:
            fractional = np.flatnonzero(values != np.round(values))
            if fractional.size:
                self.fail(fractional[0], column, f"{values[fractional[0]]:g} is not a whole number")
        return values

    def member_of(self, column: str, allowed, what: str, *, allow_empty: bool = False) -> None:
        allowed = set(allowed) | ({""} if allow_empty else set())
        values = self.frame[column].to_numpy()
        unknown = np.flatnonzero(~np.isin(values, list(allowed)))
        if unknown.size:
            self.fail(unknown[0], column, f"unknown {what} {values[unknown[0]]!r}")

    def esco_uri(self, column: str, *, allow_empty: bool = False) -> None:
        values = self.frame[column].to_numpy()
        ok = np.char.startswith(values.astype(str), ESCO_PREFIX) | ((values == "") if allow_empty else False)
        bad = np.flatnonzero(~ok)
        if bad.size:
            self.fail(bad[0], column, f"{values[bad[0]]!r} is not an ESCO URI")


def _wide_matrix(table: _Table, ids: list[str], skill_ids: tuple[str, ...], low: float, high: float) -> np.ndarray:
    """Rows of *table* reordered to *ids*, columns to *skill_ids*, each cell range-checked."""
    table.nonempty("occupation_id")
    table.unique("occupation_id")
    table.member_of("occupation_id", ids, "occupation")
    missing_rows = sorted(set(ids) - set(table.frame["occupation_id"]))
    if missing_rows:
        raise TaxonomyError(table.name, f"no row for occupation(s) {', '.join(missing_rows)}")
    extra = [c for c in table.frame.columns if c != "occupation_id" and c not in skill_ids]
    if extra:
        raise TaxonomyError(table.name, f"unknown soft skill column(s): {', '.join(extra)}", field=extra[0])
    for skill in skill_ids:
        if skill not in table.frame.columns:
            raise TaxonomyError(table.name, f"missing column for soft skill {skill!r}", field=skill)
        table.numbers(skill, low, high)
    frame = table.frame.set_index("occupation_id").loc[ids, list(skill_ids)]
    return frame.to_numpy(dtype=float)


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Validated reference data with array forms for the hot paths.

    Soft-skill arrays use the fixed column order :attr:`skill_ids`; hard-skill arrays use
    :attr:`hard_skill_ids`. :attr:`soft_skill_order_version` changes whenever that
    order changes, so stored vectors can be checked against it.
    """

    root: Path
    soft_skills: pd.DataFrame
    mastery_levels: pd.DataFrame
    hard_skills: pd.DataFrame
    occupations: pd.DataFrame
    occupation_levels: np.ndarray
    occupation_importance: np.ndarray
    occupation_essential: np.ndarray
    occupation_optional: np.ndarray
    trainings: pd.DataFrame
    training_uplift: np.ndarray
    training_grants: np.ndarray
    training_prerequisite: np.ndarray
    municipalities: pd.DataFrame
    places: pd.DataFrame

    # Derived views are computed once: hot paths (pair features, reasons) ask for them per call.
    @cached_property
    def skill_ids(self) -> tuple[str, ...]:
        return tuple(self.soft_skills.index)

    @cached_property
    def n_soft_skills(self) -> int:
        return len(self.soft_skills)

    @cached_property
    def hard_skill_ids(self) -> tuple[str, ...]:
        return tuple(self.hard_skills.index)

    @cached_property
    def n_hard_skills(self) -> int:
        return len(self.hard_skills)

    @cached_property
    def occupation_ids(self) -> tuple[str, ...]:
        return tuple(self.occupations.index)

    @cached_property
    def training_ids(self) -> tuple[str, ...]:
        return tuple(self.trainings.index)

    @cached_property
    def sectors(self) -> tuple[str, ...]:
        return tuple(sorted(self.occupations["sector"].unique()))

    @cached_property
    def clusters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.soft_skills["cluster"]))

    @cached_property
    def skill_cluster_index(self) -> np.ndarray:
        """Cluster number of each soft skill, in :attr:`clusters` order."""
        return _read_only(np.array([self.clusters.index(c) for c in self.soft_skills["cluster"]]))

    @cached_property
    def soft_skill_order_version(self) -> str:
        digest = hashlib.sha256("\n".join(self.skill_ids).encode()).hexdigest()[:12]
        return f"soft-skills/{self.n_soft_skills}/{digest}"

    def skill_index(self, skill_id: str) -> int:
        try:
            return self.skill_ids.index(skill_id)
        except ValueError:
            raise KeyError(f"unknown soft skill {skill_id!r}") from None

    def hard_skill_index(self, hard_skill_id: str) -> int:
        try:
            return self.hard_skill_ids.index(hard_skill_id)
        except ValueError:
            raise KeyError(f"unknown hard skill {hard_skill_id!r}") from None

    def hard_skill_mask(self, hard_skill_ids) -> np.ndarray:
        """Indicator vector over :attr:`hard_skill_ids` for a collection of ids."""
        mask = np.zeros(self.n_hard_skills, dtype=bool)
        for hard_skill_id in hard_skill_ids:
            mask[self.hard_skill_index(hard_skill_id)] = True
        return mask


# --------------------------------------------------------------------------- loading


def _load_soft_skills(root: Path) -> pd.DataFrame:
    columns = ["skill_id", "cluster", "label_en", "label_nl", "definition_en", "definition_nl",
               "esco_uri", "esco_label", "esco_t_code", "esco_match", "onet_id", "onet_name", "onet_kind"]
    table = _Table(root, "taxonomy/soft_skills.csv", columns)
    table.nonempty(*columns)
    table.unique("skill_id")
    table.esco_uri("esco_uri")
    table.member_of("esco_match", ("exact", "close", "broader"), "match kind")
    bad = np.flatnonzero(~table.frame["esco_t_code"].str.fullmatch(r"T\d(\.\d+)*").to_numpy())
    if bad.size:
        table.fail(bad[0], "esco_t_code", f"{table.frame['esco_t_code'].iloc[bad[0]]!r} is not an ESCO T-code")
    if not 16 <= len(table.frame) <= 24:
        raise TaxonomyError(table.name, f"expected 16–24 soft skills, found {len(table.frame)}")
    return table.frame.set_index("skill_id")


def _load_mastery(root: Path) -> pd.DataFrame:
    columns = ["level", "label_en", "label_nl", "description_en", "description_nl"]
    table = _Table(root, "taxonomy/mastery_levels.csv", columns)
    table.nonempty(*columns)
    levels = table.numbers("level", MASTERY_MIN, MASTERY_MAX, integer=True)
    if sorted(levels.tolist()) != [1.0, 2.0, 3.0, 4.0, 5.0]:
        raise TaxonomyError(table.name, "levels must be exactly 1, 2, 3, 4 and 5", field="level")
    frame = table.frame.assign(level=levels.astype(int))
    return frame.set_index("level").sort_index()


def _load_hard_skills(root: Path) -> pd.DataFrame:
    columns = ["hard_skill_id", "kind", "label_en", "label_nl", "esco_uri", "notes"]
    table = _Table(root, "taxonomy/hard_skills.csv", columns)
    table.nonempty("hard_skill_id", "kind", "label_en", "label_nl")
    table.unique("hard_skill_id")
    table.member_of("kind", HARD_SKILL_KINDS, "hard-skill kind")
    table.esco_uri("esco_uri", allow_empty=True)
    skills = table.frame["kind"] == "esco_skill"
    no_uri = np.flatnonzero((skills & (table.frame["esco_uri"] == "")).to_numpy())
    if no_uri.size:
        table.fail(no_uri[0], "esco_uri", "an ESCO skill needs its ESCO URI")
    return table.frame.set_index("hard_skill_id")


def _load_occupations(root: Path, skill_ids, hard_ids):
    columns = ["occupation_id", "sector", "label_en", "label_nl", "esco_uri", "isco_code", "eqf_level",
               "min_dutch_cefr", "hours_min", "hours_max", "demand_weight"]
    table = _Table(root, "occupations/occupations.csv", columns)
    table.nonempty(*columns)
    table.unique("occupation_id")
    table.esco_uri("esco_uri")
    table.member_of("min_dutch_cefr", CEFR_LEVELS, "CEFR level")
    frame = table.frame.copy()
    frame["eqf_level"] = table.numbers("eqf_level", 1, 8, integer=True).astype(int)
    frame["hours_min"] = table.numbers("hours_min", 1, 48, integer=True).astype(int)
    frame["hours_max"] = table.numbers("hours_max", 1, 48, integer=True).astype(int)
    frame["demand_weight"] = table.numbers("demand_weight", 0, 100)
    inverted = np.flatnonzero((frame["hours_min"] > frame["hours_max"]).to_numpy())
    if inverted.size:
        table.fail(inverted[0], "hours_max", "hours_max is below hours_min")
    if len(frame) < 25:
        raise TaxonomyError(table.name, f"expected at least 25 occupations, found {len(frame)}")
    frame = frame.set_index("occupation_id")
    ids = list(frame.index)

    levels = _wide_matrix(_Table(root, "occupations/skill_levels.csv", ["occupation_id"]), ids, skill_ids,
                          MASTERY_MIN, MASTERY_MAX)
    importance = _wide_matrix(_Table(root, "occupations/skill_importance.csv", ["occupation_id"]), ids,
                              skill_ids, 0, 3)
    zero_rows = np.flatnonzero(importance.sum(axis=1) == 0)
    if zero_rows.size:
        raise TaxonomyError("occupations/skill_importance.csv", "every importance is 0",
                            row=int(zero_rows[0]) + 2)

    links = _Table(root, "occupations/hard_skills.csv", ["occupation_id", "hard_skill_id", "relation"])
    links.nonempty("occupation_id", "hard_skill_id", "relation")
    links.member_of("occupation_id", ids, "occupation")
    links.member_of("hard_skill_id", hard_ids, "hard skill")
    links.member_of("relation", ("essential", "optional"), "relation")
    pair_dup = np.flatnonzero(links.frame.duplicated(["occupation_id", "hard_skill_id"]).to_numpy())
    if pair_dup.size:
        links.fail(pair_dup[0], "hard_skill_id", "listed twice for this occupation")
    rows = frame.index.get_indexer(links.frame["occupation_id"])
    cols = pd.Index(hard_ids).get_indexer(links.frame["hard_skill_id"])
    essential = np.zeros((len(ids), len(hard_ids)), dtype=bool)
    optional = np.zeros_like(essential)
    is_essential = (links.frame["relation"] == "essential").to_numpy()
    essential[rows[is_essential], cols[is_essential]] = True
    optional[rows[~is_essential], cols[~is_essential]] = True
    return frame, levels, importance, essential, optional


def _load_trainings(root: Path, skill_ids, hard_ids, sectors):
    columns = ["training_id", "kind", "label_en", "label_nl", "sector", "duration_weeks", "cost_eur", "seats",
               "min_dutch_cefr", "min_eqf", "prerequisite_hard_skill", "grants_hard_skill", "dutch_cefr_uplift"]
    table = _Table(root, "training/catalogue.csv", columns)
    table.nonempty("training_id", "kind", "label_en", "label_nl", "sector", "min_dutch_cefr")
    table.unique("training_id")
    table.member_of("kind", TRAINING_KINDS, "training kind")
    table.member_of("sector", (*sectors, "all"), "sector")
    table.member_of("min_dutch_cefr", CEFR_LEVELS, "CEFR level")
    table.member_of("prerequisite_hard_skill", hard_ids, "hard skill", allow_empty=True)
    table.member_of("grants_hard_skill", hard_ids, "hard skill", allow_empty=True)
    frame = table.frame.copy()
    frame["duration_weeks"] = table.numbers("duration_weeks", 0.1, 52)
    frame["cost_eur"] = table.numbers("cost_eur", 0, 100_000)
    frame["seats"] = table.numbers("seats", 0, 100_000, integer=True).astype(int)
    frame["min_eqf"] = table.numbers("min_eqf", 1, 8, integer=True).astype(int)
    frame["dutch_cefr_uplift"] = table.numbers("dutch_cefr_uplift", 0, 2, integer=True).astype(int)
    if len(frame) < 40:
        raise TaxonomyError(table.name, f"expected at least 40 training offers, found {len(frame)}")
    frame = frame.set_index("training_id")

    uplift_table = _Table(root, "training/uplifts.csv", ["training_id", "skill_id", "uplift"])
    uplift_table.nonempty("training_id", "skill_id", "uplift")
    uplift_table.member_of("training_id", frame.index, "training")
    uplift_table.member_of("skill_id", skill_ids, "soft skill")
    amounts = uplift_table.numbers("uplift", 0.0, 2.0)
    dup = np.flatnonzero(uplift_table.frame.duplicated(["training_id", "skill_id"]).to_numpy())
    if dup.size:
        uplift_table.fail(dup[0], "skill_id", "uplift listed twice for this training")
    uplift = np.zeros((len(frame), len(skill_ids)))
    uplift[frame.index.get_indexer(uplift_table.frame["training_id"]),
           pd.Index(skill_ids).get_indexer(uplift_table.frame["skill_id"])] = amounts

    hard_index = pd.Index(hard_ids)
    grants = np.zeros((len(frame), len(hard_ids)), dtype=bool)
    prerequisite = np.zeros_like(grants)
    has_grant = (frame["grants_hard_skill"] != "").to_numpy()
    grants[np.flatnonzero(has_grant), hard_index.get_indexer(frame["grants_hard_skill"][has_grant])] = True
    has_prereq = (frame["prerequisite_hard_skill"] != "").to_numpy()
    prerequisite[np.flatnonzero(has_prereq),
                 hard_index.get_indexer(frame["prerequisite_hard_skill"][has_prereq])] = True
    useless = np.flatnonzero(~has_grant & (uplift.sum(axis=1) == 0) & (frame["dutch_cefr_uplift"] == 0).to_numpy())
    if useless.size:
        table.fail(useless[0], "grants_hard_skill", "training grants nothing and raises no skill")
    return frame, uplift, grants, prerequisite


def _load_regions(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = ["municipality_id", "name", "lat", "lon", "population"]
    table = _Table(root, "regions/south_east_brabant.csv", columns)
    table.nonempty(*columns)
    table.unique("municipality_id")
    frame = table.frame.copy()
    frame["lat"] = table.numbers("lat", 50.7, 53.6)
    frame["lon"] = table.numbers("lon", 3.3, 7.3)
    frame["population"] = table.numbers("population", 1, 2e7, integer=True).astype(np.int64)
    if len(frame) != 21:
        raise TaxonomyError(table.name, f"the region has 21 municipalities, found {len(frame)}")

    place_columns = ["geonameid", "name", "province_code", "lat", "lon", "population"]
    places = _Table(root, "regions/places_nl.csv", place_columns)
    places.nonempty("geonameid", "name", "lat", "lon", "population")
    places.unique("geonameid")
    place_frame = places.frame.copy()
    place_frame["lat"] = places.numbers("lat", 50.7, 53.6)
    place_frame["lon"] = places.numbers("lon", 3.3, 7.3)
    place_frame["population"] = places.numbers("population", 1, 2e7, integer=True).astype(np.int64)
    return frame.set_index("municipality_id"), place_frame.set_index("geonameid")


@lru_cache(maxsize=4)
def _load_cached(root: Path) -> Taxonomy:
    soft = _load_soft_skills(root)
    skill_ids = tuple(soft.index)
    hard = _load_hard_skills(root)
    hard_ids = tuple(hard.index)
    occupations, levels, importance, essential, optional = _load_occupations(root, skill_ids, hard_ids)
    sectors = tuple(sorted(occupations["sector"].unique()))
    trainings, uplift, grants, prerequisite = _load_trainings(root, skill_ids, hard_ids, sectors)
    municipalities, places = _load_regions(root)
    return Taxonomy(
        root=root,
        soft_skills=soft,
        mastery_levels=_load_mastery(root),
        hard_skills=hard,
        occupations=occupations,
        occupation_levels=_read_only(levels),
        occupation_importance=_read_only(importance),
        occupation_essential=_read_only(essential),
        occupation_optional=_read_only(optional),
        trainings=trainings,
        training_uplift=_read_only(uplift),
        training_grants=_read_only(grants),
        training_prerequisite=_read_only(prerequisite),
        municipalities=municipalities,
        places=places,
    )


def load_taxonomy(root: str | Path | None = None) -> Taxonomy:
    """Load and validate the reference data (cached per folder).

    Parameters
    ----------
    root : path-like, optional
        A data folder laid out like the repository's ``data/``. Defaults to the
        installed data (see :func:`passport.resources.data_dir`).

    Raises
    ------
    TaxonomyError
        If any file is missing or malformed; the message names file, line and field.
    """
    return _load_cached(Path(root).resolve() if root is not None else data_dir().resolve())
