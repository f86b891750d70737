"""Errors raised by the passport layer; each names where the problem is."""

from __future__ import annotations


class TaxonomyError(ValueError):
    """A reference-data file is malformed.

    Attributes
    ----------
    file : str
        The file name, relative to the data folder.
    row : int or None
        1-based line number in the file (the header is line 1), when one row is at fault.
    field : str or None
        The column at fault.
    problem : str
        What is wrong, in words.
    """

    def __init__(self, file: str, problem: str, *, row: int | None = None, field: str | None = None):
        self.file, self.row, self.field, self.problem = file, row, field, problem
        where = file + (f", line {row}" if row is not None else "") + (f", field '{field}'" if field else "")
        super().__init__(f"{where}: {problem}")


class RecordReferenceError(ValueError):
    """A record (passport, vacancy, …) refers to something the taxonomy does not know."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


class TableError(ValueError):
    """A partner's table of seekers, vacancies or training offers is malformed.

    Attributes
    ----------
    file : str
        The file name (last component of the path that was read or written).
    row : int or None
        Where the fault is, counted as the user sees it: the line number in a CSV
        file (the header is line 1, the first data row line 2) or the 1-based data
        row in a Parquet file. None when the whole file or column is at fault.
    column : str or None
        The column at fault.
    problem : str
        What is wrong, in words.
    row_kind : {"line", "row"}
        How ``row`` counts, and the word the message uses for it.
    """

    def __init__(self, file: str, problem: str, *, row: int | None = None, column: str | None = None,
                 row_kind: str = "row"):
        self.file, self.row, self.column, self.problem, self.row_kind = file, row, column, problem, row_kind
        where = file + (f", {row_kind} {row}" if row is not None else "") + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {problem}")
