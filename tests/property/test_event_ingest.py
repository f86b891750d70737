"""Event ingest is idempotent: any split, order and repetition of a fixed event set stores exactly that set."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from assessment.skillsprint import Engine, simulate_skillsprint
from service.api.app import build_context
from service.api.session_store import ingest_events
from service.db.tables import Account, AssessmentEvent, SkillsprintSessionRecord
from service.settings import Settings

INSTRUMENTS = ("gonogo", "trust")
PER_INSTRUMENT = 8


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    context = build_context(Settings(data_dir=tmp_path_factory.mktemp("ingest"), seed_demo=False, secret_key="t"))
    yield context
    context.engine.dispose()


@pytest.fixture(scope="module")
def holder(ctx) -> str:
    with ctx.sessions() as db:
        account = Account(username="ingest-holder", role="seeker", password_hash=None)
        db.add(account)
        db.commit()
        return account.id


@pytest.fixture(scope="module")
def event_set() -> list[dict]:
    """A few trials of two instruments, as a device sends them."""
    engine = Engine.default()
    events = simulate_skillsprint(np.full((1, engine.taxonomy.n_soft_skills), 3.0), np.random.default_rng(2),
                                  engine=engine, session_ids=np.array(["device"], dtype=object))
    flat = []
    for name in INSTRUMENTS:
        for record in events[name].drop(columns="session_id").head(PER_INSTRUMENT).to_dict("records"):
            record = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}
            record = {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}
            flat.append({**record, "instrument": name, "event_id": f"{name}-{record['event_id']}"})
    return flat


@st.composite
def deliveries(draw, n: int) -> list[list[int]]:
    """Batches of event positions: every event at least once, in any order, with repeats."""
    order = draw(st.permutations(range(n)))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=4)))
    batches = [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, n])]
    repeats = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n), max_size=3))
    return draw(st.permutations(batches + repeats))


def _stored(db, session_id: str) -> dict[str, tuple[str, dict]]:
    rows = db.execute(select(AssessmentEvent.event_id, AssessmentEvent.instrument, AssessmentEvent.payload)
                      .where(AssessmentEvent.session_id == session_id))
    return {event_id: (instrument, payload) for event_id, instrument, payload in rows}


@pytest.fixture(scope="module")
def reference(ctx, holder, event_set) -> dict[str, tuple[str, dict]]:
    """The set as one batch in the given order stores it."""
    with ctx.sessions() as db:
        record = SkillsprintSessionRecord(holder_id=holder)
        db.add(record)
        db.flush()
        ingest_events(db, record.id, event_set)
        db.commit()
        return _stored(db, record.id)


@given(data=st.data())
def test_any_split_order_and_repetition_stores_exactly_the_set(ctx, holder, event_set, reference, data):
    batches = data.draw(deliveries(len(event_set)))
    with ctx.sessions() as db:
        record = SkillsprintSessionRecord(holder_id=holder)
        db.add(record)
        db.commit()
        session_id = record.id
        accepted = 0
        for positions in batches:
            receipt = ingest_events(db, session_id, [event_set[i] for i in positions])
            db.commit()
            assert receipt.accepted + receipt.repeated == len(set(positions))
            accepted += receipt.accepted
            assert receipt.stored_total == accepted
        stored = _stored(db, session_id)
        n_events = db.scalar(select(SkillsprintSessionRecord.n_events).where(SkillsprintSessionRecord.id == session_id))
    assert accepted == n_events == len(event_set)
    assert stored.keys() == reference.keys()
    for event_id, (instrument, payload) in stored.items():
        assert instrument == reference[event_id][0]
        assert {**payload, "session_id": None} == {**reference[event_id][1], "session_id": None}
