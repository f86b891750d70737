"""In-memory catalogue views: the direct parse equals the model path, refreshes are incremental and exact."""

from __future__ import annotations

import uuid
from dataclasses import fields, is_dataclass
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from matching.bits import pack_bits
from matching.synthetic.market import MarketConfig, generate_vacancies
from passport.issuance import issue_from_profile, set_consent
from passport.models import HardSkillClaim, LanguageSkill, Location, Passport, Preferences, SkillProfile, Vacancy
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from service.api import catalogue
from service.api.catalogue import (
    CatalogueError,
    seeker_arrays_from_documents,
    snapshot,
    vacancy_arrays_from_documents,
)
from service.db.catalogue import bump
from service.db.tables import TrainingOfferRecord, VacancyRecord
from service.seed import training_documents, vacancy_documents
from tests.api.conftest import EINDHOVEN
from tests.api.test_recommendations import change_consent, set_status, store_vacancy

AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


def assert_same_arrays(a, b) -> None:
    assert type(a) is type(b)
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if is_dataclass(x):
            assert_same_arrays(x, y)
            continue
        assert x.dtype == y.dtype, f.name
        assert x.shape == y.shape, f.name
        assert np.array_equal(x, y), f.name


# --------------------------------------------------------------------------- parsing


def test_vacancy_parse_equals_the_model_path(app):
    taxonomy = app.state.ctx.taxonomy
    config = MarketConfig(n_seekers=1, n_vacancies=300, n_trainings=1, seed=3)
    synthetic = generate_vacancies(config, taxonomy, np.random.default_rng(3))
    documents = vacancy_documents(taxonomy, synthetic, [f"e{i % 7}" for i in range(300)])
    documents += [Vacancy.from_occupation(taxonomy, o, vacancy_id=f"occ-{o}", employer_id="e", location=EINDHOVEN)
                  .model_dump(mode="json") for o in taxonomy.occupation_ids]
    expected = VacancyArrays.from_vacancies([Vacancy.model_validate(d) for d in documents], taxonomy)
    assert_same_arrays(vacancy_arrays_from_documents(documents, taxonomy), expected)


def test_empty_documents_give_empty_arrays(app):
    taxonomy = app.state.ctx.taxonomy
    vacancies = vacancy_arrays_from_documents([], taxonomy)
    seekers = seeker_arrays_from_documents([], taxonomy)
    assert vacancies.n == 0 and vacancies.required.shape == (0, taxonomy.n_soft_skills)
    assert seekers.n == 0 and seekers.hard.shape == (0, taxonomy.n_hard_skills)


@st.composite
def passports(draw, taxonomy):
    n_skills = taxonomy.n_soft_skills
    measured = np.array(draw(st.lists(st.booleans(), min_size=n_skills, max_size=n_skills)))
    levels = np.array(draw(st.lists(st.floats(1.0, 5.0), min_size=n_skills, max_size=n_skills)))
    profile = SkillProfile.from_arrays(taxonomy, levels, np.full(n_skills, 0.45), measured)
    hard = draw(st.lists(st.sampled_from(taxonomy.hard_skill_ids), unique=True, max_size=5))
    languages = draw(st.lists(st.tuples(st.sampled_from(["nl", "en", "ar"]),
                                        st.sampled_from(["A1", "A2", "B1", "B2", "C1", "C2"])),
                              unique_by=lambda lang: lang[0], max_size=3))
    sectors = draw(st.lists(st.sampled_from(taxonomy.sectors), unique=True, max_size=3))
    excluded = draw(st.lists(st.sampled_from([s for s in taxonomy.sectors if s not in sectors]), unique=True,
                             max_size=2))
    hours_min = draw(st.integers(1, 40))
    holder = uuid.uuid4().hex
    history = issue_from_profile(
        taxonomy, profile, measured_at=AT, recorded_by="skillsprint", passport_id=f"pp-{holder[:8]}",
        holder_id=holder, education_eqf=draw(st.integers(1, 8)),
        location=Location(lat=draw(st.floats(50.8, 53.5)), lon=draw(st.floats(3.4, 7.2))),
        hard_skills=[HardSkillClaim(hard_skill_id=h) for h in hard],
        languages=[LanguageSkill(language=code, cefr=level) for code, level in languages],
        preferences=Preferences(sectors=sectors, excluded_sectors=excluded, hours_min=hours_min,
                                hours_max=draw(st.integers(hours_min, 48)),
                                max_travel_km=draw(st.floats(1.0, 300.0))),
        actor=holder, at=AT)
    if draw(st.booleans()):
        history = set_consent(history, visible_to_employers=True, include_in_batch_matching=draw(st.booleans()),
                              actor=holder, at=AT)
    return history.current


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_passport_parse_equals_the_model_path(app, data):
    taxonomy = app.state.ctx.taxonomy
    people = data.draw(st.lists(passports(taxonomy), min_size=1, max_size=4))
    documents = [p.model_dump(mode="json") for p in people]
    expected = SeekerArrays.from_passports([Passport.model_validate(d) for d in documents], taxonomy)
    assert_same_arrays(seeker_arrays_from_documents(documents, taxonomy), expected)


def test_a_document_that_no_longer_fits_the_taxonomy_is_named(app):
    taxonomy = app.state.ctx.taxonomy
    document = Vacancy.from_occupation(taxonomy, "warehouse_worker", vacancy_id="v-old", employer_id="e",
                                       location=EINDHOVEN).model_dump(mode="json")
    document["must_have"] = ["retired_certificate"]
    with pytest.raises(CatalogueError, match="v-old.*retired_certificate"):
        vacancy_arrays_from_documents([document], taxonomy)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(0, 6), width=st.integers(1, 140), seed=st.integers(0, 2**16))
def test_packed_bits_count_like_the_boolean_rows(rows, width, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.random((rows, width)) < 0.4, rng.random(width) < 0.5
    counted = np.bitwise_count(pack_bits(a) & pack_bits(b)).sum(axis=1)
    assert counted.tolist() == (a & b).sum(axis=1).tolist()


# --------------------------------------------------------------------------- caching


def test_views_are_reused_until_their_counter_moves(app, people):
    ctx = app.state.ctx
    org = people.organisation("employer")
    store_vacancy(app, org, "warehouse_worker", "v1")
    with ctx.sessions() as db:
        first = snapshot(ctx, db).vacancies
    with ctx.sessions() as db:
        assert snapshot(ctx, db).vacancies is first
        unbumped = Vacancy.from_occupation(ctx.taxonomy, "hand_packer", vacancy_id="v-unbumped", employer_id=org,
                                           location=EINDHOVEN)
        db.add(VacancyRecord(vacancy_id="v-unbumped", employer_id=org, document=unbumped.model_dump(mode="json")))
        db.commit()
    with ctx.sessions() as db:
        assert snapshot(ctx, db).vacancies is first  # no bump, no rebuild: the counter is the only signal
        bump(db, "vacancies")
        db.commit()
    with ctx.sessions() as db:
        assert list(snapshot(ctx, db).vacancies.arrays.ids) == ["v-unbumped", "v1"]  # ordered by id


def test_a_refresh_parses_only_new_and_changed_rows(app, people, monkeypatch):
    ctx = app.state.ctx
    org = people.organisation("employer")
    for i in range(5):
        store_vacancy(app, org, "warehouse_worker", f"v{i}")
    with ctx.sessions() as db:
        snapshot(ctx, db).vacancies
    parsed = []
    original = catalogue.vacancy_arrays_from_documents
    monkeypatch.setattr(catalogue, "vacancy_arrays_from_documents",
                        lambda documents, taxonomy: parsed.append([d["vacancy_id"] for d in documents])
                        or original(documents, taxonomy))
    store_vacancy(app, org, "hand_packer", "v9")
    set_status(app, "v2", "closed")
    with ctx.sessions() as db:
        view = snapshot(ctx, db).vacancies
    assert [ids for ids in parsed if ids] == [["v9"]]
    assert list(view.arrays.ids) == ["v0", "v1", "v3", "v4", "v9"]
    assert list(view.occupation_ids) == ["warehouse_worker"] * 4 + ["hand_packer"]


_operations = st.lists(st.tuples(st.sampled_from(["add", "edit", "close", "open"]), st.integers(0, 7)),
                       min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_operations, checkpoints=st.lists(st.booleans(), min_size=12, max_size=12))
def test_incremental_refresh_equals_a_full_build(app, people, operations, checkpoints):
    ctx = app.state.ctx
    with ctx.sessions() as db:
        db.execute(delete(VacancyRecord))
        bump(db, "vacancies")
        db.commit()
    ctx.caches.pop("catalogue:vacancies", None)
    org = people.organisation("employer")
    occupations = ("warehouse_worker", "hand_packer", "welder", "nurse_assistant")
    for step, ((operation, n), look) in enumerate(zip(operations, checkpoints)):
        vacancy_id = f"v{n}"
        with ctx.sessions() as db:
            record = db.get(VacancyRecord, vacancy_id)
        if operation == "add" and record is None:
            store_vacancy(app, org, occupations[n % 4], vacancy_id, openings=1 + step)
        elif operation == "edit" and record is not None:
            with ctx.sessions() as db:
                record = db.get(VacancyRecord, vacancy_id)
                record.document = {**record.document, "openings": 50 + step, "title": f"edited {step}"}
                record.version += 1
                record.updated_at = datetime.now(timezone.utc)
                bump(db, "vacancies")
                db.commit()
        elif operation in ("close", "open") and record is not None:
            set_status(app, vacancy_id, "closed" if operation == "close" else "open")
        if look:  # views are built at some points only, so a refresh may span several changes
            with ctx.sessions() as db:
                snapshot(ctx, db).vacancies
    with ctx.sessions() as db:
        incremental = snapshot(ctx, db).vacancies
        fresh = catalogue._build_vacancies(ctx, db, None).view
    assert_same_arrays(incremental, fresh)


def test_seekers_view_applies_named_employer_consent(app, people):
    ctx = app.state.ctx
    mine, theirs = people.organisation("employer"), people.organisation("employer")
    everyone, named, both, hidden = (people.actor("seeker") for _ in range(4))
    people.passport(everyone, seed=1)
    people.passport(named, seed=2, employer_ids=[mine])
    people.passport(both, seed=3, employer_ids=[theirs, mine])
    people.passport(hidden, seed=4, visible=False, batch=True)
    with ctx.sessions() as db:
        view = snapshot(ctx, db).seekers
    holders = view.holder_ids
    assert set(holders) == {everyone.account_id, named.account_id, both.account_id}
    assert set(holders[view.allows(mine)]) == {everyone.account_id, named.account_id, both.account_id}
    assert set(holders[view.allows(theirs)]) == {everyone.account_id, both.account_id}
    assert set(holders[view.allows("nobody-named-me")]) == {everyone.account_id}
    assert view.arrays.consent_matching.all()  # visibility, not batch consent, governs this view
    change_consent(app, everyone, visible_to_employers=False, include_in_batch_matching=True)
    with ctx.sessions() as db:
        assert set(snapshot(ctx, db).seekers.holder_ids) == {named.account_id, both.account_id}


def test_trainings_come_from_the_stored_active_offers(app, people):
    ctx = app.state.ctx
    taxonomy = ctx.taxonomy
    with ctx.sessions() as db:
        assert list(snapshot(ctx, db).trainings.ids) == list(taxonomy.training_ids)  # none stored yet
    partner = people.organisation("partner")
    documents = training_documents(taxonomy, TrainingArrays.from_taxonomy(taxonomy))[:5]
    with ctx.sessions() as db:
        for i, document in enumerate(documents):
            db.add(TrainingOfferRecord(training_id=document["training_id"], partner_id=partner, document=document,
                                       active=i != 2))
        bump(db, "trainings")
        db.commit()
    with ctx.sessions() as db:
        trainings = snapshot(ctx, db).trainings
    assert sorted(trainings.ids) == sorted(d["training_id"] for i, d in enumerate(documents) if i != 2)
