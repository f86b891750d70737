"""A passport's history: every change is a new version; earlier ones stay readable.

Each version keeps the whole passport as it was (documents are small, and reading an old
version must not depend on replaying code that may have changed), who changed it, why,
and the list of fields that changed. Versions are chained by digests, and each version's
list of changes must equal the difference to the version before it, so an edit inside a
history — a version removed from the middle, reordered, or rewritten without redoing every
later digest — is detected when the history is read.

The chain is not a signature: someone who rewrites the file *and* recomputes every digest
after the edit, or who cuts versions off the end, is not caught by the file alone. What
guards against that is where the history is kept (the platform's database, with its own
access control) and the signed credential the holder carries, whose version number and
content show what the issuer signed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from passport.canonical import sha256_multibase
from passport.models import Passport


class HistoryError(ValueError):
    """A history is inconsistent or a change cannot be recorded; names the version at fault."""

    def __init__(self, problem: str, *, version: int | None = None):
        self.version, self.problem = version, problem
        super().__init__(f"version {version}: {problem}" if version is not None else problem)


class FieldChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    before: Any = None
    after: Any = None


class PassportVersion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    recorded_at: AwareDatetime
    actor: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=500)
    changes: list[FieldChange]
    passport: Passport
    previous_digest: str | None
    digest: str

    def content_digest(self) -> str:
        return sha256_multibase(self.model_dump(mode="json", exclude={"digest"}))


class PassportHistory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    versions: list[PassportVersion] = Field(min_length=1)

    @property
    def current(self) -> Passport:
        return self.versions[-1].passport

    @property
    def passport_id(self) -> str:
        return self.current.passport_id

    def at_version(self, version: int) -> Passport:
        if not 1 <= version <= len(self.versions):
            raise HistoryError(f"no such version; this passport has versions 1–{len(self.versions)}", version=version)
        return self.versions[version - 1].passport

    def check(self) -> None:
        """Raise :class:`HistoryError` naming the first version that breaks the chain."""
        previous_digest, passport_id = None, self.versions[0].passport.passport_id
        for position, entry in enumerate(self.versions, start=1):
            if entry.version != position or entry.passport.version != position:
                raise HistoryError(f"found at position {position}: versions are missing or out of order",
                                   version=entry.version)
            if entry.passport.passport_id != passport_id:
                raise HistoryError("belongs to another passport", version=position)
            if entry.previous_digest != previous_digest:
                raise HistoryError("does not follow the version before it (an earlier version was altered or removed)",
                                   version=position)
            if entry.content_digest() != entry.digest:
                raise HistoryError("was altered after it was recorded", version=position)
            before = self.versions[position - 2].passport if position > 1 else None
            if entry.changes != diff_passports(before, entry.passport):
                raise HistoryError("its recorded changes are not what changed", version=position)
            if position > 1 and entry.recorded_at < self.versions[position - 2].recorded_at:
                raise HistoryError("is dated before the version it follows", version=position)
            previous_digest = entry.digest

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> "PassportHistory":
        history = cls.model_validate_json(text)
        history.check()
        return history


def start_history(passport: Passport, *, actor: str, reason: str, at: datetime) -> PassportHistory:
    if passport.version != 1:
        raise HistoryError("a history starts at version 1", version=passport.version)
    return PassportHistory(versions=[_entry(passport, 1, actor, reason, at, diff_passports(None, passport), None)])


def record_change(history: PassportHistory, updated: Passport, *, actor: str, reason: str,
                  at: datetime) -> PassportHistory:
    """A new history with ``updated`` as the next version; the given history is left as it was."""
    last = history.versions[-1]
    if updated.passport_id != last.passport.passport_id:
        raise HistoryError("a change cannot move a passport to another passport id", version=last.version + 1)
    if at < last.recorded_at:
        raise HistoryError(f"is dated {at.isoformat()}, before version {last.version}", version=last.version + 1)
    next_version = last.version + 1
    updated = updated.model_copy(update={"version": next_version})
    changes = diff_passports(last.passport, updated)
    if not changes:
        raise HistoryError("changes nothing; no version is recorded", version=next_version)
    entry = _entry(updated, next_version, actor, reason, at, changes, last.digest)
    return PassportHistory(versions=[*history.versions, entry])


def diff_passports(before: Passport | None, after: Passport) -> list[FieldChange]:
    """Field-level differences, as dotted paths (``profile.skills.active_listening.level``)."""
    old = {} if before is None else before.model_dump(mode="json", exclude={"version"})
    new = after.model_dump(mode="json", exclude={"version"})
    changes: list[FieldChange] = []
    _diff(old, new, "", changes)
    return changes


def _diff(old, new, path: str, out: list[FieldChange]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            child = f"{path}.{key}" if path else key
            if key not in new:
                out.append(FieldChange(path=child, before=old[key], after=None))
            elif key not in old:
                _diff(_MISSING, new[key], child, out)
            else:
                _diff(old[key], new[key], child, out)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            child = f"{path}[{i}]"
            if i >= len(new):
                out.append(FieldChange(path=child, before=old[i], after=None))
            elif i >= len(old):
                out.append(FieldChange(path=child, before=None, after=new[i]))
            else:
                _diff(old[i], new[i], child, out)
    elif old is _MISSING:
        out.append(FieldChange(path=path, before=None, after=new))
    elif old != new:
        out.append(FieldChange(path=path, before=old, after=new))


_MISSING = object()


def _entry(passport, version, actor, reason, at, changes, previous_digest) -> PassportVersion:
    draft = PassportVersion(version=version, recorded_at=at, actor=actor, reason=reason, changes=changes,
                            passport=passport, previous_digest=previous_digest, digest="pending")
    return draft.model_copy(update={"digest": draft.content_digest()})
