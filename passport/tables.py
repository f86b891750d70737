"""Partner tables of seekers, vacancies and training offers, read from and written to files.

A labour-market partner supplies its caseload, the region's vacancies and the training
seats it buys as CSV or Parquet files. The readers validate a whole file column by
column (vectorised; no loop over rows) and turn it into the array views of
:mod:`passport.population`; the ``*_frame`` functions and :func:`write_table` go the
other way, so a file written here reads back to equal arrays.

Routine Listings
----------------
read_seekers(path, taxonomy)
    File → (:class:`~passport.population.SeekerArrays`, groups frame).
read_vacancies(path, taxonomy)
    File → :class:`~passport.population.VacancyArrays`.
read_trainings(path, taxonomy)
    File → :class:`~passport.population.TrainingArrays`.
seekers_frame(seekers, taxonomy, groups=None), vacancies_frame(vacancies, taxonomy), trainings_frame(trainings)
    Arrays → a DataFrame in the file format below.
write_table(frame, path)
    Write a frame as CSV or Parquet (chosen by the extension), atomically.

Notes
-----
Files end in ``.csv`` (UTF-8, comma-separated, header line first) or ``.parquet``.
Column names are lower-case (headers are stripped and lower-cased on reading);
columns not listed here are ignored, except ``level_``/``se_``/``required_``/
``importance_`` columns naming an unknown soft skill, which are errors. Lists are ids
separated by ``;`` (spaces around them are ignored). In CSV an empty cell is empty;
in Parquet so is a null.

**Seekers** (one row per person)

======================  =====================================================================
column                  content
======================  =====================================================================
seeker_id               text, non-empty, unique
lat, lon                home in degrees; lat 27–72, lon −32–45 (Europe: EQF, ESCO and CEFR
                        are European, and the box catches swapped coordinates)
education_eqf           whole number 1–8
dutch_cefr              A1, A2, B1, B2, C1 or C2; empty = not stated
max_travel_km           number above 0, at most 300
hours_min, hours_max    whole numbers 1–48, hours_min ≤ hours_max
consent_matching        true/false, yes/no or 1/0 (any case)
sectors_wanted          list of ``taxonomy.sectors``; empty = any sector
sectors_excluded        list of ``taxonomy.sectors``; empty = none; may not repeat a wanted one
hard_skills             list of ``taxonomy.hard_skill_ids``; empty = none
level_<skill_id>        for every soft skill, in taxonomy order, a pair: level 1–5 ...
se_<skill_id>           ... and its standard error, above 0, at most 4. Both empty = not
                        measured (level ``PRIOR_LEVEL``, SE ``PRIOR_SE``); one empty = error
group_<name>            optional, any number: true/false membership of a group, returned
                        apart from the arrays (columns ``seeker_id`` and ``<name>``)
======================  =====================================================================

Group columns exist for programme policy and fairness measurement only; they never
enter :class:`~passport.population.SeekerArrays`, so no scorer can use them.

**Vacancies** (one row per vacancy). Optional columns may be left out, and any of their
cells left empty: that value then comes from the occupation profile in the taxonomy.

======================  =====================================================================
column                  content
======================  =====================================================================
vacancy_id              text, non-empty, unique
occupation_id           one of ``taxonomy.occupation_ids`` (also fixes the sector)
lat, lon                workplace, as for seekers
hours_min, hours_max    whole numbers 1–48, hours_min ≤ hours_max
openings                whole number 1–10000
min_dutch_cefr          optional; A1..C2. Default: the occupation's minimum
min_eqf                 optional; whole number 1–8. Default: occupation EQF level − 1 (≥ 1)
must_have               optional; list of hard-skill ids, or ``none`` for an explicitly
                        empty list. Default: the occupation's essential hard skills
nice_to_have            optional; as must_have. Default: the occupation's optional hard
                        skills that are not must-haves. A skill may not be in both
required_<skill_id>     optional; required level 1–5. Default: the occupation's level
importance_<skill_id>   optional; weight 0–3. Default: the occupation's importance. At
                        least one importance per vacancy must be above 0
======================  =====================================================================

**Training offers** (one row per offer bought). Uplift, granted certificate,
prerequisite and eligibility come from the catalogue (``taxonomy.trainings``).

======================  =====================================================================
column                  content
======================  =====================================================================
training_id             one of ``taxonomy.training_ids``, unique
seats                   whole number 0–100000
cost_eur                optional; 0–100000. Default: the catalogue's cost
duration_weeks          optional; above 0, at most 52. Default: the catalogue's duration
======================  =====================================================================

Any problem raises :class:`~passport.errors.TableError` naming the file, the place
(``line N`` in a CSV file, the header being line 1; ``row N`` in a Parquet file,
counting data rows from 1) and the column. Columns are checked in the order of the
tables above and the first problem found is reported. Reading changes nothing, and
:func:`write_table` replaces a file only once the new one is complete.

Examples
--------
>>> import tempfile, pathlib
>>> from passport.taxonomy import load_taxonomy
>>> from passport.population import TrainingArrays
>>> taxonomy = load_taxonomy()
>>> offers = TrainingArrays.from_taxonomy(taxonomy).take([0, 3])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "trainings.csv"
>>> write_table(trainings_frame(offers), path)
>>> read_trainings(path, taxonomy).ids.tolist() == offers.ids.tolist()
True
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from passport.errors import TableError
from passport.files import replace_atomically
from passport.models import PRIOR_LEVEL, PRIOR_SE
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import CEFR_LEVELS, MASTERY_MAX, MASTERY_MIN, Taxonomy, cefr_rank

__all__ = [
    "read_seekers", "read_vacancies", "read_trainings",
    "seekers_frame", "vacancies_frame", "trainings_frame", "write_table",
]

FORMATS = {".csv": "csv", ".parquet": "parquet"}
SEEKER_COLUMNS = ("seeker_id", "lat", "lon", "education_eqf", "dutch_cefr", "max_travel_km", "hours_min",
                  "hours_max", "consent_matching", "sectors_wanted", "sectors_excluded", "hard_skills")
VACANCY_COLUMNS = ("vacancy_id", "occupation_id", "lat", "lon", "hours_min", "hours_max", "openings")
TRAINING_COLUMNS = ("training_id", "seats")
GROUP_PREFIX = "group_"
# Europe, Canaries and Azores included: wide enough for any partner, narrow enough that
# swapped lat/lon (5.4, 51.4 for Eindhoven) is caught.
LAT_RANGE = (27.0, 72.0)
LON_RANGE = (-32.0, 45.0)
HOURS_RANGE = (1, 48)
MAX_TRAVEL_KM = 300.0
MAX_SE = 4.0  # as SkillEstimate.se
MAX_OPENINGS = 10_000  # as Vacancy.openings
MAX_SEATS = MAX_COST_EUR = 100_000  # as the training catalogue
MAX_DURATION_WEEKS = 52.0
# Empty means "take the occupation's list", so an explicitly empty list needs a word.
NONE_TOKEN = "none"
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


# --------------------------------------------------------------------------- reading


def _file_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise TableError(path.name, f"unknown file type {path.suffix or '(none)'!r}; use .csv or .parquet") from None


def _normalised_header(file: str, names) -> list[str]:
    header = [str(name).strip().lower() for name in names]
    seen = set()
    for name in header:
        if name and name in seen:
            raise TableError(file, "the column appears twice", column=name)
        seen.add(name)
    return header


def _first(mask: np.ndarray) -> int | None:
    return int(np.argmax(mask)) if mask.any() else None


class _Table:
    """A partner file as a frame, with column checks that name file, row and column."""

    def __init__(self, path, required):
        path = Path(path)
        self.file = path.name
        kind = _file_format(path)
        self.row_kind, self._first_row = ("line", 2) if kind == "csv" else ("row", 1)
        if not path.is_file():
            raise TableError(self.file, f"file not found: {path}")
        self.frame = self._read_csv(path) if kind == "csv" else self._read_parquet(path)
        missing = [c for c in required if c not in self.frame.columns]
        if missing:
            more = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
            raise TableError(self.file, f"required column is missing{more}", column=missing[0])
        self.n = len(self.frame)
        self._text: dict[str, np.ndarray] = {}

    def _read_csv(self, path: Path) -> pd.DataFrame:
        try:
            # header=None so a repeated column name is seen, not silently renamed to "x.1";
            # utf-8-sig because Excel starts its UTF-8 files with a byte-order mark.
            raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise TableError(self.file, f"not a readable CSV file ({exc})") from exc
        header = _normalised_header(self.file, raw.iloc[0])
        if len(header) == 1 and ";" in header[0]:
            # Dutch-locale Excel saves "CSV" with semicolons, which our lists use.
            raise TableError(self.file, "columns are separated by ';'; save the file as comma-separated CSV")
        frame = raw.iloc[1:].reset_index(drop=True)
        frame.columns = header
        return frame.loc[:, [bool(name) for name in header]]

    def _read_parquet(self, path: Path) -> pd.DataFrame:
        import pyarrow as pa  # heavy; only Parquet needs it
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise TableError(self.file, f"not a readable Parquet file ({exc})") from exc
        header = _normalised_header(self.file, table.column_names)
        # Without pandas' metadata a saved index stays an ordinary (ignored) column, so
        # the columns line up with the header.
        frame = table.replace_schema_metadata(None).to_pandas()
        frame.columns = header
        return frame

    # -- failing

    def fail(self, position, column: str | None, problem: str):
        # CSV line = data position + 2; only a quoted cell spanning lines would break
        # that, and no id, number or list in these formats has one.
        raise TableError(self.file, problem, row=int(position) + self._first_row, column=column,
                         row_kind=self.row_kind)

    def check(self, column: str | None, checks) -> None:
        """Fail at the first row where any check fires; *checks* pairs a bad-row mask
        with a function from that row's position to the problem in words."""
        self.check_columns([(column, mask, problem) for mask, problem in checks])

    def check_columns(self, checks) -> None:
        """As :meth:`check`, each check naming its own column; ties go to the earlier check."""
        firsts = [(position, k) for k, (_, mask, _) in enumerate(checks) if (position := _first(mask)) is not None]
        if firsts:
            position, k = min(firsts)
            column, _, problem = checks[k]
            self.fail(position, column, problem(position))

    # -- columns

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def columns_with_prefix(self, prefix: str) -> list[str]:
        return [c for c in self.frame.columns if c.startswith(prefix)]

    def text(self, column: str) -> np.ndarray:
        """Stripped strings, ``""`` where empty or null."""
        if column not in self._text:
            series = self.frame[column]
            values = series.astype(str).str.strip().to_numpy(dtype=object)
            values[series.isna().to_numpy()] = ""
            self._text[column] = values
        return self._text[column]

    def identifiers(self, column: str) -> np.ndarray:
        values = self.text(column)
        duplicated = pd.Series(values).duplicated().to_numpy() & (values != "")

        def duplicate(p):
            first = int(np.flatnonzero(values == values[p])[0]) + self._first_row
            return f"duplicate id {values[p]!r} (first on {self.row_kind} {first})"
        self.check(column, [(values == "", lambda p: "value is empty"), (duplicated, duplicate)])
        return values

    def numbers(self, column: str, low: float, high: float, *, integer: bool = False, above: bool = False,
                optional: bool = False) -> np.ndarray:
        """Float64 values in [low, high] (or (low, high] when *above*); NaN where empty."""
        series = self.frame[column]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            shown = values
            empty = np.isnan(values)
        else:
            shown = self.text(column)
            empty = shown == ""
            values = pd.to_numeric(pd.Series(shown, dtype=object), errors="coerce").to_numpy(dtype=float)
        finite = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            below = (values <= low) if above else (values < low)
            outside = finite & (below | (values > high))
            fractional = finite & (values != np.round(values)) if integer else np.zeros(len(values), dtype=bool)

        def not_a_number(p):
            hint = " (use a decimal point, not a comma)" if "," in str(shown[p]) else ""
            return f"{shown[p]!r} is not a number{hint}"

        def out_of_range(p):
            if above and values[p] <= low:
                return f"{values[p]:g} must be above {low:g}"
            return f"{values[p]:g} is outside {low:g}–{high:g}"
        self.check(column, [
            (empty & (not optional), lambda p: "value is empty"),
            (~empty & ~finite, not_a_number),
            (fractional, lambda p: f"{values[p]:g} is not a whole number"),
            (outside, out_of_range),
        ])
        return np.where(empty, np.nan, values)

    def booleans(self, column: str) -> np.ndarray:
        series = self.frame[column]
        if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
            return series.to_numpy(dtype=bool)
        raw = self.text(column)
        lowered = pd.Series(raw, dtype=object).str.lower()
        is_true, is_false = lowered.isin(_TRUE).to_numpy(), lowered.isin(_FALSE).to_numpy()
        self.check(column, [
            (raw == "", lambda p: "value is empty; write true or false"),
            ((raw != "") & ~is_true & ~is_false,
             lambda p: f"{raw[p]!r} is not true/false (true, false, yes, no, 1, 0)"),
        ])
        return is_true

    def cefr(self, column: str, *, optional: bool = False) -> np.ndarray:
        """CEFR ranks (A1 → 1 … C2 → 6) as int8; 0 where empty."""
        raw = self.text(column)
        rank = pd.Index(CEFR_LEVELS).get_indexer(pd.Series(raw, dtype=object).str.upper()) + 1
        empty = raw == ""
        self.check(column, [
            (empty & (not optional), lambda p: "value is empty"),
            (~empty & (rank == 0), lambda p: f"{raw[p]!r} is not a CEFR level (A1..C2)"),
        ])
        return np.where(empty, 0, rank).astype(np.int8)

    def lookup(self, column: str, ids, what: str) -> np.ndarray:
        """Position of each cell's id in *ids*."""
        raw = self.text(column)
        index = pd.Index(list(ids)).get_indexer(raw)
        self.check(column, [(raw == "", lambda p: "value is empty"),
                            ((raw != "") & (index < 0), lambda p: f"unknown {what} {raw[p]!r}")])
        return index

    def id_matrix(self, column: str, ids, what: str, *, none_token: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """A ``;``-list per cell as an indicator matrix over *ids*, and which cells were given.

        With *none_token*, a cell holding only ``none`` is a given, empty list.
        """
        raw = self.text(column)
        given = raw != ""
        cells = pd.Series(raw, dtype=object)
        if none_token:
            cells = cells.where(cells.str.lower() != NONE_TOKEN, "")
        items = cells.str.split(";").explode().str.strip()
        items = items[items.notna() & (items != "")]
        rows = items.index.to_numpy(dtype=np.intp)
        names = items.to_numpy(dtype=object)
        cols = pd.Index(list(ids)).get_indexer(names)
        unknown = _first(cols < 0)
        if unknown is not None:
            self.fail(rows[unknown], column, f"unknown {what} {names[unknown]!r}")
        matrix = np.zeros((self.n, len(ids)), dtype=bool)
        matrix[rows, cols] = True
        return matrix, given

    def no_unknown_skill_columns(self, prefixes, skill_ids) -> None:
        known = set(skill_ids)
        for prefix in prefixes:
            for column in self.columns_with_prefix(prefix):
                if column[len(prefix):] not in known:
                    raise TableError(self.file, f"unknown soft skill {column[len(prefix):]!r}", column=column)

    def hours(self) -> tuple[np.ndarray, np.ndarray]:
        hours_min = self.numbers("hours_min", *HOURS_RANGE, integer=True)
        hours_max = self.numbers("hours_max", *HOURS_RANGE, integer=True)
        self.check("hours_max", [(hours_max < hours_min,
                                  lambda p: f"{hours_max[p]:g} is below hours_min {hours_min[p]:g}")])
        return hours_min.astype(np.int16), hours_max.astype(np.int16)


def read_seekers(path, taxonomy: Taxonomy) -> tuple[SeekerArrays, pd.DataFrame]:
    """Read job seekers from a CSV or Parquet file (format in the module notes).

    Parameters
    ----------
    path : path-like
        A ``.csv`` or ``.parquet`` file.
    taxonomy : Taxonomy
        The skills language the ids refer to.

    Returns
    -------
    seekers : SeekerArrays
        One row per file row, in file order.
    groups : DataFrame
        ``seeker_id`` and one bool column per ``group_<name>`` column (named ``<name>``),
        in the same order. Kept apart so that no scorer can reach it.

    Raises
    ------
    TableError
        On the first problem found; names file, line/row and column.
    """
    skills = taxonomy.skill_ids
    table = _Table(path, [*SEEKER_COLUMNS, *(c for s in skills for c in (f"level_{s}", f"se_{s}"))])
    table.no_unknown_skill_columns(("level_", "se_"), skills)
    ids = table.identifiers("seeker_id")
    lat, lon = table.numbers("lat", *LAT_RANGE), table.numbers("lon", *LON_RANGE)
    eqf = table.numbers("education_eqf", 1, 8, integer=True).astype(np.int8)
    dutch_cefr = table.cefr("dutch_cefr", optional=True)
    max_travel = table.numbers("max_travel_km", 0, MAX_TRAVEL_KM, above=True).astype(np.float32)
    hours_min, hours_max = table.hours()
    consent = table.booleans("consent_matching")

    sectors = taxonomy.sectors
    wanted, wanted_given = table.id_matrix("sectors_wanted", sectors, "sector")
    excluded, _ = table.id_matrix("sectors_excluded", sectors, "sector")
    both = wanted & excluded
    table.check("sectors_excluded", [(both.any(axis=1),
                                      lambda p: f"sector {sectors[np.argmax(both[p])]!r} is also in sectors_wanted")])
    wanted[~wanted_given] = True  # empty means any sector, as in Passport
    hard, _ = table.id_matrix("hard_skills", taxonomy.hard_skill_ids, "hard skill")

    levels = np.empty((table.n, len(skills)))
    se = np.empty_like(levels)
    for k, skill in enumerate(skills):
        level_column, se_column = f"level_{skill}", f"se_{skill}"
        levels[:, k] = table.numbers(level_column, MASTERY_MIN, MASTERY_MAX, optional=True)
        se[:, k] = table.numbers(se_column, 0, MAX_SE, above=True, optional=True)
        no_level, no_se = np.isnan(levels[:, k]), np.isnan(se[:, k])
        table.check_columns([
            (level_column, no_level & ~no_se, lambda p: f"empty while {se_column} is given; give both or neither"),
            (se_column, no_se & ~no_level, lambda p: f"empty while {level_column} is given; give both or neither"),
        ])
    measured = ~np.isnan(levels)
    levels = np.where(measured, levels, PRIOR_LEVEL)
    se = np.where(measured, se, PRIOR_SE)

    groups = {"seeker_id": ids}
    for column in table.columns_with_prefix(GROUP_PREFIX):
        name = column[len(GROUP_PREFIX):]
        if name in ("", "seeker_id"):
            raise TableError(table.file, f"a group column needs a name after {GROUP_PREFIX!r} "
                                         "(and not 'seeker_id')", column=column)
        groups[name] = table.booleans(column)

    seekers = SeekerArrays(
        ids=ids, levels=levels.astype(np.float32), se=se.astype(np.float32), measured=measured, hard=hard,
        eqf=eqf, dutch_cefr=dutch_cefr, lat=lat, lon=lon, max_travel_km=max_travel,
        hours_min=hours_min, hours_max=hours_max, sector_pref=wanted, sector_excluded=excluded,
        consent_matching=consent,
    )
    return seekers, pd.DataFrame(groups)


def _occupation_defaults(taxonomy: Taxonomy) -> dict[str, np.ndarray]:
    occupations = taxonomy.occupations
    sectors = taxonomy.sectors
    return {
        "sector": np.array([sectors.index(s) for s in occupations["sector"]], dtype=np.int8),
        "min_dutch_cefr": np.array([cefr_rank(c) for c in occupations["min_dutch_cefr"]], dtype=np.int8),
        "min_eqf": np.maximum(occupations["eqf_level"].to_numpy() - 1, 1).astype(np.int8),
    }


def read_vacancies(path, taxonomy: Taxonomy) -> VacancyArrays:
    """Read vacancies from a CSV or Parquet file (format in the module notes).

    Optional columns left out, and optional cells left empty, take the value of the
    vacancy's occupation profile in *taxonomy*.

    Parameters
    ----------
    path : path-like
        A ``.csv`` or ``.parquet`` file.
    taxonomy : Taxonomy
        The skills language the ids refer to.

    Returns
    -------
    VacancyArrays
        One row per file row, in file order.

    Raises
    ------
    TableError
        On the first problem found; names file, line/row and column.
    """
    skills = taxonomy.skill_ids
    table = _Table(path, VACANCY_COLUMNS)
    table.no_unknown_skill_columns(("required_", "importance_"), skills)
    ids = table.identifiers("vacancy_id")
    occupation = table.lookup("occupation_id", taxonomy.occupation_ids, "occupation")
    lat, lon = table.numbers("lat", *LAT_RANGE), table.numbers("lon", *LON_RANGE)
    hours_min, hours_max = table.hours()
    openings = table.numbers("openings", 1, MAX_OPENINGS, integer=True).astype(np.int32)
    defaults = _occupation_defaults(taxonomy)

    min_cefr = defaults["min_dutch_cefr"][occupation]
    if table.has("min_dutch_cefr"):
        given = table.cefr("min_dutch_cefr", optional=True)
        min_cefr = np.where(given > 0, given, min_cefr).astype(np.int8)
    min_eqf = defaults["min_eqf"][occupation]
    if table.has("min_eqf"):
        given = table.numbers("min_eqf", 1, 8, integer=True, optional=True)
        min_eqf = np.where(np.isnan(given), min_eqf, given).astype(np.int8)

    hard_ids = taxonomy.hard_skill_ids
    must_have = np.asarray(taxonomy.occupation_essential)[occupation]
    if table.has("must_have"):
        given_matrix, given = table.id_matrix("must_have", hard_ids, "hard skill", none_token=True)
        must_have = np.where(given[:, None], given_matrix, must_have)
    # A default never contradicts what the partner wrote: must-haves leave the default list.
    nice_to_have = np.asarray(taxonomy.occupation_optional)[occupation] & ~must_have
    if table.has("nice_to_have"):
        given_matrix, given = table.id_matrix("nice_to_have", hard_ids, "hard skill", none_token=True)
        nice_to_have = np.where(given[:, None], given_matrix, nice_to_have)
        both = must_have & nice_to_have
        table.check("nice_to_have", [(both.any(axis=1), lambda p: f"{hard_ids[np.argmax(both[p])]!r} is also a "
                                                                  "must-have (from the occupation when must_have "
                                                                  "is left empty)")])

    required = np.asarray(taxonomy.occupation_levels)[occupation].astype(float)
    importance = np.asarray(taxonomy.occupation_importance)[occupation].astype(float)
    for k, skill in enumerate(skills):
        for matrix, column, low, high in ((required, f"required_{skill}", MASTERY_MIN, MASTERY_MAX),
                                          (importance, f"importance_{skill}", 0, 3)):
            if table.has(column):
                given = table.numbers(column, low, high, optional=True)
                matrix[:, k] = np.where(np.isnan(given), matrix[:, k], given)
    table.check(None, [(importance.sum(axis=1) <= 0,
                        lambda p: "every soft-skill importance is 0; at least one must be above 0")])

    return VacancyArrays(
        ids=ids, occupation=occupation.astype(np.int16), sector=defaults["sector"][occupation],
        required=required.astype(np.float32), importance=importance.astype(np.float32),
        must_have=must_have, nice_to_have=nice_to_have, min_dutch_cefr=min_cefr, min_eqf=min_eqf,
        lat=lat, lon=lon, hours_min=hours_min, hours_max=hours_max, openings=openings,
    )


def read_trainings(path, taxonomy: Taxonomy) -> TrainingArrays:
    """Read the training offers bought, with their seats, from a CSV or Parquet file.

    Parameters
    ----------
    path : path-like
        A ``.csv`` or ``.parquet`` file.
    taxonomy : Taxonomy
        Its training catalogue supplies everything the file does not.

    Returns
    -------
    TrainingArrays
        One row per file row, in file order.

    Raises
    ------
    TableError
        On the first problem found; names file, line/row and column.
    """
    table = _Table(path, TRAINING_COLUMNS)
    table.identifiers("training_id")
    index = table.lookup("training_id", taxonomy.training_ids, "training")
    seats = table.numbers("seats", 0, MAX_SEATS, integer=True).astype(np.int32)
    offers = TrainingArrays.from_taxonomy(taxonomy).take(index)
    overrides = {"seats": seats}
    if table.has("cost_eur"):
        given = table.numbers("cost_eur", 0, MAX_COST_EUR, optional=True)
        overrides["cost_eur"] = np.where(np.isnan(given), offers.cost_eur, given).astype(np.float32)
    if table.has("duration_weeks"):
        given = table.numbers("duration_weeks", 0, MAX_DURATION_WEEKS, above=True, optional=True)
        overrides["duration_weeks"] = np.where(np.isnan(given), offers.duration_weeks, given).astype(np.float32)
    return dataclasses.replace(offers, **overrides)


# --------------------------------------------------------------------------- writing


def _join(matrix: np.ndarray, ids) -> np.ndarray:
    """Each row's ids where *matrix* is True, joined by ``;`` in *ids* order.

    Loops over the columns, touching only the rows that hold each id.
    """
    out = np.full(len(matrix), "", dtype=object)
    for j in np.flatnonzero(matrix.any(axis=0)):
        rows = np.flatnonzero(matrix[:, j])
        out[rows] = np.where(out[rows] == "", "", out[rows] + ";") + ids[j]
    return out


def _cefr_labels(ranks: np.ndarray, *, allow_unstated: bool, what: str) -> np.ndarray:
    labels = np.array(("",) + CEFR_LEVELS, dtype=object)
    bad = _first((ranks < (0 if allow_unstated else 1)) | (ranks > len(CEFR_LEVELS)))
    if bad is not None:
        raise ValueError(f"{what}: CEFR rank {ranks[bad]} at row {bad} has no label")
    return labels[ranks]


def seekers_frame(seekers: SeekerArrays, taxonomy: Taxonomy, groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Seekers in the file format of :func:`read_seekers`.

    Parameters
    ----------
    seekers : SeekerArrays
        The seekers to write, in row order.
    taxonomy : Taxonomy
        Must be the one the arrays' columns follow.
    groups : DataFrame, optional
        ``seeker_id`` plus bool columns; written as ``group_<column>``, matched to the
        seekers by id. Every seeker needs a row.

    Returns
    -------
    DataFrame
        One row per seeker, columns in the documented order.

    Raises
    ------
    ValueError
        If the arrays hold something the format cannot express: a seeker who wants no
        sector at all, a sector both wanted and excluded, or a non-boolean group.
    """
    skills, sectors = taxonomy.skill_ids, taxonomy.sectors
    if seekers.levels.shape[1] != len(skills) or seekers.sector_pref.shape[1] != len(sectors):
        raise ValueError("seekers_frame: the arrays do not follow this taxonomy's skills and sectors")
    any_sector = seekers.sector_pref.all(axis=1)
    nothing = _first(~seekers.sector_pref.any(axis=1))
    if nothing is not None:
        raise ValueError(f"seekers_frame: seeker {seekers.ids[nothing]!r} wants no sector at all")
    contradiction = _first(~any_sector & (seekers.sector_pref & seekers.sector_excluded).any(axis=1))
    if contradiction is not None:
        raise ValueError(f"seekers_frame: seeker {seekers.ids[contradiction]!r} wants and excludes the same sector")
    columns = {
        "seeker_id": seekers.ids.astype(object), "lat": seekers.lat, "lon": seekers.lon,
        "education_eqf": seekers.eqf,
        "dutch_cefr": _cefr_labels(seekers.dutch_cefr, allow_unstated=True, what="dutch_cefr"),
        "max_travel_km": seekers.max_travel_km, "hours_min": seekers.hours_min, "hours_max": seekers.hours_max,
        "consent_matching": seekers.consent_matching,
        "sectors_wanted": np.where(any_sector, "", _join(seekers.sector_pref, sectors)),
        "sectors_excluded": _join(seekers.sector_excluded, sectors),
        "hard_skills": _join(seekers.hard, taxonomy.hard_skill_ids),
    }
    for k, skill in enumerate(skills):
        columns[f"level_{skill}"] = np.where(seekers.measured[:, k], seekers.levels[:, k], np.nan).astype(np.float32)
        columns[f"se_{skill}"] = np.where(seekers.measured[:, k], seekers.se[:, k], np.nan).astype(np.float32)
    if groups is not None:
        columns.update(_group_columns(groups, seekers.ids))
    return pd.DataFrame(columns)


def _group_columns(groups: pd.DataFrame, ids: np.ndarray) -> dict[str, np.ndarray]:
    if "seeker_id" not in groups.columns or groups["seeker_id"].duplicated().any():
        raise ValueError("groups: needs a seeker_id column with unique ids")
    aligned = groups.set_index("seeker_id").reindex(pd.Index(ids, dtype=object))
    out = {}
    for name in aligned.columns:
        column = aligned[name]
        if column.isna().any():
            raise ValueError(f"groups: no {name!r} value for seeker {column.index[np.argmax(column.isna())]!r}")
        if not pd.api.types.is_bool_dtype(column.dtype):
            raise ValueError(f"groups: column {name!r} is not boolean; write one true/false column per group")
        out[GROUP_PREFIX + str(name).lower()] = column.to_numpy(dtype=bool)
    return out


def vacancies_frame(vacancies: VacancyArrays, taxonomy: Taxonomy) -> pd.DataFrame:
    """Vacancies in the file format of :func:`read_vacancies`, every optional column filled in.

    An empty must_have or nice_to_have list is written as ``none`` so it does not read
    back as the occupation's list.

    Parameters
    ----------
    vacancies : VacancyArrays
        The vacancies to write, in row order.
    taxonomy : Taxonomy
        Must be the one the arrays' columns follow.

    Returns
    -------
    DataFrame
        One row per vacancy, columns in the documented order.

    Raises
    ------
    ValueError
        If a vacancy's sector is not its occupation's, or a CEFR rank has no label.
    """
    defaults = _occupation_defaults(taxonomy)
    occupation = vacancies.occupation.astype(np.intp)
    wrong_sector = _first(defaults["sector"][occupation] != vacancies.sector)
    if wrong_sector is not None:
        raise ValueError(f"vacancies_frame: vacancy {vacancies.ids[wrong_sector]!r} has a sector other than "
                         "its occupation's, which the file format cannot express")
    hard_ids = taxonomy.hard_skill_ids
    must_have, nice_to_have = _join(vacancies.must_have, hard_ids), _join(vacancies.nice_to_have, hard_ids)
    columns = {
        "vacancy_id": vacancies.ids.astype(object),
        "occupation_id": np.array(taxonomy.occupation_ids, dtype=object)[occupation],
        "lat": vacancies.lat, "lon": vacancies.lon,
        "hours_min": vacancies.hours_min, "hours_max": vacancies.hours_max, "openings": vacancies.openings,
        "min_dutch_cefr": _cefr_labels(vacancies.min_dutch_cefr, allow_unstated=False, what="min_dutch_cefr"),
        "min_eqf": vacancies.min_eqf,
        "must_have": np.where(must_have == "", NONE_TOKEN, must_have),
        "nice_to_have": np.where(nice_to_have == "", NONE_TOKEN, nice_to_have),
    }
    for k, skill in enumerate(taxonomy.skill_ids):
        columns[f"required_{skill}"] = vacancies.required[:, k]
        columns[f"importance_{skill}"] = vacancies.importance[:, k]
    return pd.DataFrame(columns)


def trainings_frame(trainings: TrainingArrays) -> pd.DataFrame:
    """Training offers in the file format of :func:`read_trainings` (cost and duration included)."""
    return pd.DataFrame({
        "training_id": trainings.ids.astype(object), "seats": trainings.seats,
        "cost_eur": trainings.cost_eur, "duration_weeks": trainings.duration_weeks,
    })


def write_table(frame: pd.DataFrame, path) -> None:
    """Write *frame* as CSV or Parquet, chosen by the extension of *path*.

    The table goes to a temporary file in the same folder which then replaces *path*
    in one step, so a reader never sees half a file and a failed write leaves any
    earlier file as it was.

    Raises
    ------
    TableError
        For an unknown extension, a missing folder, or a frame Parquet cannot store.
    """
    path = Path(path)
    kind = _file_format(path)
    if not path.parent.is_dir():
        raise TableError(path.name, f"folder not found: {path.parent}")
    def write(temporary: str) -> None:
        if kind == "csv":
            frame.to_csv(temporary, index=False)
            return
        import pyarrow as pa  # heavy; only Parquet needs it

        try:
            frame.to_parquet(temporary, index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise TableError(path.name, f"cannot be written as Parquet ({exc})") from exc

    replace_atomically(path, write)
