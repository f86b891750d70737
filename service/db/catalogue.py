"""Change counters per catalogue, so in-memory array views know when they are stale."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db.tables import CatalogueVersion

CATALOGUES = ("vacancies", "trainings", "passports")


def bump(session: Session, name: str) -> None:
    """Count one change of *name*; call inside the transaction that makes the change."""
    if name not in CATALOGUES:
        raise ValueError(f"unknown catalogue {name!r}")
    changed = session.execute(update(CatalogueVersion).where(CatalogueVersion.name == name)
                              .values(version=CatalogueVersion.version + 1)).rowcount
    if not changed:
        session.add(CatalogueVersion(name=name, version=1))
        session.flush()


def version(session: Session, name: str) -> int:
    return session.scalar(select(CatalogueVersion.version).where(CatalogueVersion.name == name)) or 0
