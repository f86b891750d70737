"""What every request shares: settings, the database, the taxonomy and the scorer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from passport.taxonomy import Taxonomy
from service.settings import Settings


@dataclass(eq=False)
class ServiceContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy
    scorer: object  # a fitted learned model, or RuleBasedScorer when none is configured
    secret_key: str
    # In-memory array views of catalogues (vacancies, passports), rebuilt when their
    # CatalogueVersion moves; see service/api/catalogue.py.
    caches: dict = field(default_factory=dict)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    # The shared pool that computes ranked lists (service/api/list_workers.py), while the
    # app runs with SKILLPASS_LIST_WORKERS > 0; None: lists are computed in this process.
    list_workers: object | None = None

    @property
    def jobs_dir(self) -> Path:
        return self.settings.jobs_dir
