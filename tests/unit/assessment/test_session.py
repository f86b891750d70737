"""Resumable sessions: batches in any order, repeats, conflicts, partial play, saving."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.errors import AssessmentInputError
from assessment.session import SkillsprintSession
from assessment.skillsprint import Engine, simulate_skillsprint


@pytest.fixture(scope="module")
def engine():
    return Engine.default()


@pytest.fixture(scope="module")
def played(engine):
    """One player's whole Skillsprint as a flat list of events, as a device would send them."""
    rng = np.random.default_rng(8)
    levels = np.full((1, engine.taxonomy.n_soft_skills), 3.2)
    events = simulate_skillsprint(levels, rng, engine=engine, session_ids=np.array(["sp-1"], dtype=object))
    flat = []
    for name, frame in events.items():
        for record in frame.to_dict("records"):
            record = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}
            flat.append({**record, "instrument": name, "event_id": f"{name}-{record['event_id']}"})
    return flat


def test_batches_out_of_order_and_repeated_give_the_same_profile(played, engine):
    whole = SkillsprintSession("sp-1")
    whole.add_events(played)
    rng = np.random.default_rng(0)
    shuffled = [played[i] for i in rng.permutation(len(played))]
    resumed = SkillsprintSession("sp-1")
    for start in range(0, len(shuffled), 97):
        resumed.add_events(shuffled[start:start + 97])
    receipt = resumed.add_events(shuffled[:50])
    assert receipt.accepted == 0 and receipt.repeated == 50
    a, b = whole.score(engine), resumed.score(engine)
    assert np.array_equal(a.levels, b.levels) and np.array_equal(a.se, b.se)
    assert a.measured.all()


def test_a_conflicting_event_refuses_the_whole_batch(played):
    session = SkillsprintSession("sp-1")
    session.add_events(played[:10])
    changed = dict(played[3])
    changed["t_ms"] = changed["t_ms"] + 1.0
    fresh = played[10:20]
    with pytest.raises(AssessmentInputError, match="sent again with different content"):
        session.add_events([*fresh, changed])
    assert sum(len(v) for v in session.events.values()) == 10


def test_unknown_instrument_and_foreign_session_are_named(played):
    session = SkillsprintSession("sp-1")
    with pytest.raises(AssessmentInputError, match=r"field 'instrument': unknown instrument 'chess'"):
        session.add_events([{**played[0], "instrument": "chess"}])
    with pytest.raises(AssessmentInputError, match="field 'session_id'"):
        session.add_events([{**played[0], "session_id": "someone-else"}])


def test_partial_play_gives_a_partial_profile(played, engine, taxonomy):
    session = SkillsprintSession("sp-1")
    session.add_events([e for e in played if e["instrument"] in ("gonogo", "questionnaire")])
    result = session.score(engine)
    profile = result.profile(taxonomy, 0)
    assert "self_control" in profile.skills and "dependability" in profile.skills
    assert "active_listening" not in profile.skills
    progress = session.progress()
    assert progress["gonogo"]["finished"] and progress["sjt"]["completion"] == 0.0


def test_a_saved_session_resumes_where_it_stopped(played, engine):
    session = SkillsprintSession("sp-1")
    session.add_events(played[: len(played) // 2])
    restored = SkillsprintSession.from_json(session.to_json())
    restored.add_events(played[len(played) // 2:])
    whole = SkillsprintSession("sp-1")
    whole.add_events(played)
    assert np.array_equal(restored.score(engine).levels, whole.score(engine).levels)
    assert restored.next_scenario() is None or isinstance(restored.next_scenario(), str)
