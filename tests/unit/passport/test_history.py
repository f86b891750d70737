"""Issuance, version history, consent changes and the wallet's safe writes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from passport.history import HistoryError, PassportHistory
from passport.issuance import (
    add_evidence,
    add_hard_skill,
    issue_from_profile,
    set_consent,
    update_details,
    withdraw_consent,
)
from passport.models import (
    HardSkillClaim,
    InstrumentRun,
    Location,
    Preferences,
    Provenance,
    SkillEstimate,
    SkillEvidence,
    SkillProfile,
)
from passport.wallet import Wallet

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)
HOME = Location(lat=51.44, lon=5.48, municipality_id="eindhoven")


def issued(taxonomy, **overrides):
    profile = SkillProfile(skills={"active_listening": SkillEstimate(level=3.2, se=0.4),
                                   "collaboration": SkillEstimate(level=4.0, se=0.5)})
    provenance = Provenance(method="skillsprint", measurement_model_version="mm-1", instruments=[
        InstrumentRun(instrument_id="sjt", session_id="s1", completed_at=T0, scoring_version="1.0",
                      norms_version="2026.1")])
    fields = dict(passport_id="p-1", holder_id="holder-1", education_eqf=2, location=HOME, actor="issuer",
                  at=T0, provenance=provenance)
    fields.update(overrides)
    return issue_from_profile(taxonomy, profile, measured_at=T0, recorded_by="skillsprint", session_id="s1", **fields)


def test_issuance_records_provenance_and_derives_the_profile(taxonomy):
    history = issued(taxonomy)
    passport = history.current
    assert passport.version == 1 and len(history.versions) == 1
    assert passport.provenance.issued_at == T0
    assert passport.provenance.taxonomy_version == taxonomy.soft_skill_order_version
    assert passport.provenance.instruments[0].norms_version == "2026.1"
    assert passport.profile.skills["collaboration"].level == 4.0
    assert {e.source for e in passport.evidence} == {"assessed"}
    assert not passport.consent.visible_to_employers and not passport.consent.include_in_batch_matching


def test_issuance_refuses_unknown_skills(taxonomy):
    with pytest.raises(ValueError, match="skills.teleportation"):
        issue_from_profile(taxonomy, SkillProfile(skills={"teleportation": SkillEstimate(level=3, se=0.5)}),
                           measured_at=T0, recorded_by="x", passport_id="p", holder_id="h", education_eqf=2,
                           location=HOME, actor="issuer", at=T0)


def test_every_change_is_a_new_version_and_old_ones_stay_readable(taxonomy):
    history = issued(taxonomy)
    history = add_evidence(history, taxonomy, [SkillEvidence(
        skill_id="active_listening", source="verified", level=4.0, se=0.4, observed_at=T0 + timedelta(days=9),
        recorded_by="employer:bakery")], actor="employer:bakery", reason="observed during a work trial",
        at=T0 + timedelta(days=9))
    history = update_details(history, taxonomy, actor="holder-1", reason="moved house", at=T0 + timedelta(days=10),
                             location=Location(lat=51.69, lon=5.30))
    assert [v.version for v in history.versions] == [1, 2, 3]
    assert history.at_version(1).profile.skills["active_listening"].level == 3.2
    assert history.current.profile.skills["active_listening"].level == pytest.approx(3.6)
    second = history.versions[1]
    assert second.actor == "employer:bakery" and second.reason == "observed during a work trial"
    assert {c.path for c in second.changes} == {"profile.skills.active_listening.level",
                                                "profile.skills.active_listening.se", "evidence[2]"}
    moved = {c.path: (c.before, c.after) for c in history.versions[2].changes}
    assert moved["location.lat"] == (51.44, 51.69) and moved["location.municipality_id"] == ("eindhoven", None)
    with pytest.raises(HistoryError, match="versions 1–3"):
        history.at_version(4)


def test_a_change_that_changes_nothing_is_refused(taxonomy):
    history = issued(taxonomy)
    with pytest.raises(HistoryError, match="changes nothing"):
        update_details(history, taxonomy, actor="holder-1", reason="no-op", at=T0, education_eqf=2)


def test_a_change_dated_before_the_last_version_is_refused(taxonomy):
    with pytest.raises(HistoryError, match="before version 1"):
        update_details(issued(taxonomy), taxonomy, actor="h", reason="r", at=T0 - timedelta(days=1), education_eqf=3)


def test_only_detail_fields_change_directly(taxonomy):
    with pytest.raises(HistoryError, match="profile: not changed this way"):
        update_details(issued(taxonomy), taxonomy, actor="h", reason="r", at=T0, profile=SkillProfile())


def test_invalid_details_are_refused_and_nothing_is_recorded(taxonomy):
    history = issued(taxonomy)
    with pytest.raises(ValueError, match="hours_min must not exceed hours_max"):
        update_details(history, taxonomy, actor="h", reason="r", at=T0,
                       preferences={"hours_min": 40, "hours_max": 10})
    with pytest.raises(ValueError, match="preferences.sectors"):
        update_details(history, taxonomy, actor="h", reason="r", at=T0, preferences=Preferences(sectors=["piracy"]))
    assert len(history.versions) == 1


def test_consent_is_given_narrowed_and_withdrawn_with_timestamps(taxonomy):
    history = issued(taxonomy)
    history = set_consent(history, visible_to_employers=True, include_in_batch_matching=True, actor="holder-1",
                          at=T0 + timedelta(days=1))
    assert history.current.consent.allows_employer("anyone")
    history = set_consent(history, visible_to_employers=True, employer_ids=["bakery", "hospital"],
                          include_in_batch_matching=True, actor="coach:anna", at=T0 + timedelta(days=2))
    consent = history.current.consent
    assert consent.allows_employer("bakery") and not consent.allows_employer("factory")
    history = withdraw_consent(history, actor="holder-1", at=T0 + timedelta(days=3))
    consent = history.current.consent
    assert not consent.allows_employer("bakery") and not consent.include_in_batch_matching
    assert consent.updated_at == T0 + timedelta(days=3)
    assert [v.reason for v in history.versions[1:]] == [
        "consent: visible to all employers; included in batch matching",
        "consent: visible to bakery, hospital; included in batch matching",
        "consent: hidden from employers; left out of batch matching"]
    assert history.versions[2].actor == "coach:anna"
    # the earlier, wider consent is still on record, with when it held
    assert history.at_version(2).consent.allows_employer("factory")


def test_naming_employers_while_hidden_is_refused(taxonomy):
    with pytest.raises(HistoryError, match="employer_ids"):
        set_consent(issued(taxonomy), visible_to_employers=False, employer_ids=["bakery"],
                    include_in_batch_matching=False, actor="h", at=T0)


def test_hard_skill_evidence_is_never_weakened(taxonomy):
    history = add_hard_skill(issued(taxonomy), taxonomy, HardSkillClaim(hard_skill_id="vca_basic", evidence="verified"),
                             actor="trainer:roc", reason="exam passed", at=T0)
    with pytest.raises(HistoryError, match="weaken"):
        add_hard_skill(history, taxonomy, HardSkillClaim(hard_skill_id="vca_basic"), actor="h", reason="r", at=T0)
    with pytest.raises(ValueError, match="hard_skills"):
        add_hard_skill(history, taxonomy, HardSkillClaim(hard_skill_id="jedi_licence"), actor="h", reason="r", at=T0)


def test_the_digest_chain_catches_an_edited_history(taxonomy):
    history = set_consent(issued(taxonomy), visible_to_employers=True, include_in_batch_matching=False,
                          actor="holder-1", at=T0 + timedelta(days=1))
    history.check()
    document = json.loads(history.to_json())
    document["versions"][0]["passport"]["education_eqf"] = 5
    with pytest.raises(HistoryError, match="version 1: was altered"):
        PassportHistory.from_json(json.dumps(document))
    document = json.loads(history.to_json())
    del document["versions"][0]
    with pytest.raises(HistoryError, match="out of order"):
        PassportHistory.from_json(json.dumps(document))


def test_the_wallet_round_trips_and_never_drops_a_version(taxonomy, tmp_path):
    wallet = Wallet(tmp_path / "wallet")
    history = issued(taxonomy)
    wallet.save(history)
    longer = set_consent(history, visible_to_employers=True, include_in_batch_matching=True, actor="holder-1",
                         at=T0 + timedelta(days=1))
    wallet.save(longer)
    assert wallet.load("p-1") == longer and wallet.ids() == ["p-1"]
    stale_branch = update_details(history, taxonomy, actor="holder-1", reason="r", at=T0 + timedelta(days=2),
                                  education_eqf=3)
    with pytest.raises(HistoryError, match="stored history has versions this one does not"):
        wallet.save(stale_branch)
    assert wallet.load("p-1") == longer
    assert not [p for p in (tmp_path / "wallet").iterdir() if p.name.startswith(".") and p.suffix != ".lock"], \
        "no staging file left behind"


def test_the_wallet_refuses_ids_that_are_not_file_names(taxonomy, tmp_path):
    with pytest.raises(HistoryError, match="passport_id"):
        Wallet(tmp_path).path_of("../../etc/passwd")
    with pytest.raises(HistoryError, match="no passport"):
        Wallet(tmp_path).load("nobody")


def test_recorded_changes_must_match_what_changed(taxonomy):
    history = set_consent(issued(taxonomy), visible_to_employers=True, include_in_batch_matching=False,
                          actor="holder-1", at=T0 + timedelta(days=1))
    forged = history.versions[1].model_copy(update={"changes": history.versions[1].changes[:1]})
    forged = forged.model_copy(update={"digest": forged.content_digest()})
    with pytest.raises(HistoryError, match="version 2: its recorded changes are not what changed"):
        PassportHistory(versions=[history.versions[0], forged]).check()
