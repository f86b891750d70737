"""Fixtures for the platform API: a fresh database per test and accounts of every role."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pytest
from fastapi.testclient import TestClient

from passport.issuance import issue_from_profile, set_consent
from passport.models import LanguageSkill, Location, Preferences, SkillProfile
from service.api.app import create_app
from service.api.passport_store import save_history
from service.api.security import issue_token
from service.db.tables import Account, CoachAssignment, Organisation
from service.settings import Settings

EINDHOVEN = Location(lat=51.4416, lon=5.4697)


def make_app(data_dir):
    """A platform app on its own database in *data_dir*, without the worker or the demo seed."""
    return create_app(Settings(data_dir=data_dir, seed_demo=False, secret_key="test-secret", token_minutes=60),
                      start_worker=False)


def error_field(response) -> str:
    """The first field an error body names."""
    return response.json()["error"]["fields"][0]["field"]


@pytest.fixture
def api_settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", seed_demo=False, secret_key="test-secret", token_minutes=60)


@pytest.fixture
def app(api_settings):
    return create_app(api_settings, start_worker=False)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Actor:
    account_id: str
    role: str
    organisation_id: str | None
    headers: dict


class People:
    """Creates organisations, accounts (with a bearer token), caseloads and passports directly."""

    def __init__(self, app):
        self.ctx = app.state.ctx

    def organisation(self, kind: str, name: str | None = None) -> str:
        with self.ctx.sessions() as db:
            org = Organisation(name=name or f"{kind} org", kind=kind)
            db.add(org)
            db.commit()
            return org.id

    def actor(self, role: str, organisation_id: str | None = None, username: str | None = None) -> Actor:
        if organisation_id is None and role in ("employer", "partner", "coach"):
            organisation_id = self.organisation("employer" if role == "employer" else "partner")
        with self.ctx.sessions() as db:
            account = Account(username=username or f"{role}-{np.random.randint(1 << 30)}", password_hash=None,
                              role=role, display_name=role.title(), organisation_id=organisation_id)
            db.add(account)
            db.flush()
            token, _ = issue_token(db, account, 60)
            db.commit()
            return Actor(account.id, role, organisation_id, {"Authorization": f"Bearer {token}"})

    def assign_coach(self, coach: Actor, seeker: Actor) -> None:
        with self.ctx.sessions() as db:
            db.add(CoachAssignment(coach_id=coach.account_id, seeker_id=seeker.account_id))
            db.commit()

    def passport(self, seeker: Actor, *, visible: bool = True, batch: bool = True, employer_ids=(),
                 location: Location = EINDHOVEN, seed: int = 0, max_travel_km: float = 40.0):
        """A passport for *seeker* from a random measured profile, with the given consent."""
        taxonomy = self.ctx.taxonomy
        rng = np.random.default_rng(seed)
        levels = rng.uniform(2.0, 4.5, taxonomy.n_soft_skills)
        profile = SkillProfile.from_arrays(taxonomy, levels, np.full(taxonomy.n_soft_skills, 0.4))
        at = datetime(2026, 11, 1, tzinfo=timezone.utc)
        history = issue_from_profile(
            taxonomy, profile, measured_at=at, recorded_by="skillsprint", passport_id=f"pp-{seeker.account_id[:12]}",
            holder_id=seeker.account_id, education_eqf=3, location=location,
            languages=[LanguageSkill(language="nl", cefr="B2")],
            preferences=Preferences(max_travel_km=max_travel_km), actor=seeker.account_id, at=at)
        if visible or batch:
            history = set_consent(history, visible_to_employers=visible, include_in_batch_matching=batch,
                                  employer_ids=list(employer_ids), actor=seeker.account_id, at=at)
        with self.ctx.sessions() as db:
            save_history(db, seeker.account_id, history)
            db.commit()
        return history.current


@pytest.fixture
def people(app) -> People:
    return People(app)


@contextmanager
def access_world(data_dir):
    """One platform for a whole access table: (app, client, people, cast), where *cast* holds
    another seeker, a coach with and one without the caseload, and every other role."""
    app = make_app(data_dir)
    with TestClient(app) as client:
        people = People(app)
        cast = {"other_seeker": people.actor("seeker"), "coach": people.actor("coach"),
                "coach_without_caseload": people.actor("coach")}
        cast.update({role: people.actor(role) for role in ("employer", "partner", "analyst", "admin")})
        yield app, client, people, cast
