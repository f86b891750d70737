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
