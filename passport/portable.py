"""Plain JSON export and import of a passport, checked against the published JSON Schema.

Import is strict in the order a reader can act on: is it JSON, does it fit the schema
(the error names the JSON path), does every level follow from its evidence, does it
refer only to what the taxonomy knows.
"""

from __future__ import annotations

import json
from functools import lru_cache

import jsonschema

from passport.canonical import CanonicalizationError, canonical_json, loads_strict
from passport.errors import RecordReferenceError
from passport.evidence import check_profile_follows_evidence
from passport.models import SCHEMA_DIR, Passport
from passport.taxonomy import Taxonomy


class PassportFormatError(ValueError):
    """A passport document cannot be read; ``path`` is the JSON path at fault ('' for the whole)."""

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}" if path else problem)


def export_passport_json(passport: Passport) -> str:
    document = passport.model_dump(mode="json")
    _check_schema(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def import_passport_json(text: str | bytes, taxonomy: Taxonomy | None = None) -> Passport:
    try:
        document = loads_strict(text)
        canonical_json(document)
    except CanonicalizationError as error:
        raise PassportFormatError("", f"not I-JSON: {error}") from None
    except json.JSONDecodeError as error:
        raise PassportFormatError("", f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except UnicodeDecodeError as error:
        raise PassportFormatError("", f"not UTF-8 text: byte {error.start} cannot be decoded") from None
    _check_schema(document)
    passport = Passport.model_validate(document)
    try:
        check_profile_follows_evidence(passport)
        if taxonomy is not None:
            passport.check_references(taxonomy)
    except RecordReferenceError as error:
        raise PassportFormatError(error.field, error.problem) from None
    return passport


def _check_schema(document) -> None:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise PassportFormatError(json_path(first.absolute_path), first.message)


def json_path(parts) -> str:
    """A jsonschema error path as the dotted path the rest of skillpass uses."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@lru_cache(maxsize=1)
def _validator():
    schema = json.loads((SCHEMA_DIR / "passport.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)
