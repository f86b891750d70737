"""Signed credentials: issue, verify, tampering, keys (wrong, retired, expired, revoked), schema."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from passport.canonical import canonical_json
from passport.credential import (
    issue_credential,
    passport_from_credential,
    section_digests,
    verify_credential,
)
from passport.issuance import issue_from_profile
from passport.keys import KeyStore, PublicKeyring, SigningKeyError, public_key_from_did
from passport.models import (
    HardSkillClaim,
    Location,
    SkillEstimate,
    SkillProfile,
    json_schema,
)

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(days=30)


@pytest.fixture
def passport(taxonomy):
    profile = SkillProfile(skills={"active_listening": SkillEstimate(level=3.4, se=0.35),
                                   "safety_awareness": SkillEstimate(level=4.2, se=0.4)})
    return issue_from_profile(taxonomy, profile, measured_at=T0, recorded_by="skillsprint", passport_id="p-7",
                              holder_id="h-7", education_eqf=2, location=Location(lat=51.44, lon=5.48),
                              hard_skills=[HardSkillClaim(hard_skill_id="vca_basic", evidence="verified")],
                              actor="issuer", at=T0).current


@pytest.fixture
def keys(tmp_path):
    store = KeyStore(tmp_path / "keys")
    store.init(now=T0 - timedelta(days=1), issuer="skillpass test issuer")
    return store


def signed(passport, taxonomy, keys, at=T0):
    return issue_credential(passport, taxonomy, keys.signing_key(now=at), issuer_name="skillpass test issuer", now=at)


def test_an_issued_credential_verifies_and_carries_the_passport(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    report = verify_credential(json.dumps(credential), keys.keyring(), now=LATER)
    assert report.valid, report.problems
    assert report.passport_id == "p-7" and report.passport_version == 1
    assert passport_from_credential(credential) == passport
    subject = credential["credentialSubject"]
    assert {s["id"] for s in subject["skills"]} == {taxonomy.soft_skills.at[s, "esco_uri"]
                                                   for s in ("active_listening", "safety_awareness")}
    assert len(subject["notMeasured"]) == taxonomy.n_soft_skills - 2
    assert subject["certificates"][0]["hardSkillId"] == "vca_basic"
    assert "OpenBadgeCredential" in credential["type"] and credential["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_issued_credentials_fit_the_published_schema(passport, taxonomy, keys):
    jsonschema.validate(signed(passport, taxonomy, keys), json_schema("credential"))


@pytest.mark.parametrize("path,value,reported", [
    (("credentialSubject", "skillsPassport", "profile", "skills", "active_listening", "level"), 4.9,
     "credentialSubject.skillsPassport.profile.skills.active_listening"),
    (("credentialSubject", "skills", 0, "standardError"), 0.05, "credentialSubject.skills[0]"),
    (("credentialSubject", "skillsPassport", "education_eqf"), 4, "credentialSubject.skillsPassport.education_eqf"),
    (("validUntil",), "2099-01-01T00:00:00Z", "validUntil"),
    (("credentialSubject", "id"), "urn:skillpass:holder:someone-else", "credentialSubject.id"),
])
def test_tampering_is_reported_where_it_happened(passport, taxonomy, keys, path, value, reported):
    credential = signed(passport, taxonomy, keys)
    node = credential
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    report = verify_credential(credential, keys.keyring(), now=LATER)
    assert not report.valid
    assert [p.path for p in report.problems] == [reported]
    assert "changed after signing" in report.problems[0].message


def test_a_removed_or_added_section_is_named(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    del credential["credentialSubject"]["certificates"][0]
    report = verify_credential(credential, keys.keyring(), now=LATER)
    assert [str(p) for p in report.problems] == ["credentialSubject.certificates[0]: removed after signing"]
    credential = signed(passport, taxonomy, keys)
    credential["credentialSubject"]["certificates"].append({"id": "x", "hardSkillId": "vca_vol", "name": "VCA VOL",
                                                            "evidence": "verified"})
    report = verify_credential(credential, keys.keyring(), now=LATER)
    assert [str(p) for p in report.problems] == ["credentialSubject.certificates[1]: added after signing"]


def test_an_altered_proof_is_caught(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    credential["proof"]["created"] = "2026-06-01T08:00:01Z"
    assert "proof options were altered" in str(verify_credential(credential, keys.keyring(), now=LATER).problems[0])
    credential = signed(passport, taxonomy, keys)
    credential["proof"]["digestManifest"]["name"] = credential["proof"]["digestManifest"]["id"]
    assert "digest manifest does not match" in str(verify_credential(credential, keys.keyring(), now=LATER).problems[0])


def test_a_credential_signed_by_a_key_the_verifier_does_not_trust_fails(passport, taxonomy, keys, tmp_path):
    stranger = KeyStore(tmp_path / "stranger")
    stranger.init(now=T0 - timedelta(days=1))
    forged = signed(passport, taxonomy, stranger)
    report = verify_credential(forged, keys.keyring(), now=LATER)
    assert [p.path for p in report.problems] == ["issuer.id"]
    assert "not a key of the trusted issuer" in report.problems[0].message


def test_a_signature_by_another_key_under_the_trusted_identifier_fails(passport, taxonomy, keys, tmp_path):
    stranger = KeyStore(tmp_path / "stranger")
    stranger.init(now=T0 - timedelta(days=1))
    forged = signed(passport, taxonomy, stranger)
    trusted_id = keys.keyring().active_key_id
    forged["issuer"]["id"] = trusted_id
    forged["proof"]["verificationMethod"] = f"{trusted_id}#{trusted_id.removeprefix('did:key:')}"
    report = verify_credential(forged, keys.keyring(), now=LATER)
    assert not report.valid
    assert any("altered" in p.message or "changed after signing" in p.message for p in report.problems)


def test_rotation_keeps_old_credentials_valid_and_signs_new_ones_with_the_new_key(passport, taxonomy, keys):
    old = signed(passport, taxonomy, keys)
    new_key = keys.rotate(now=T0 + timedelta(days=1))
    new = signed(passport, taxonomy, keys, at=T0 + timedelta(days=2))
    assert new["issuer"]["id"] == new_key.key_id != old["issuer"]["id"]
    for credential in (old, new):
        assert verify_credential(credential, keys.keyring(), now=LATER).valid


def test_signatures_a_retired_key_makes_after_rotation_fail(passport, taxonomy, keys):
    retired_key, retired_private = keys.signing_key(now=T0)  # as held before the rotation
    keys.rotate(now=T0 + timedelta(days=1))
    after = issue_credential(passport, taxonomy, (retired_key, retired_private), issuer_name="x",
                             now=T0 + timedelta(days=3))
    report = verify_credential(after, keys.keyring(), now=LATER)
    assert [p.path for p in report.problems] == ["proof.verificationMethod"]
    assert "retired" in report.problems[0].message
    with pytest.raises(SigningKeyError, match="retired"):
        issue_credential(passport, taxonomy, (keys.keyring().find(retired_key.key_id), retired_private),
                         issuer_name="x", now=T0 + timedelta(days=3))


def test_an_expired_key_signs_nothing_and_its_late_signatures_fail(passport, taxonomy, tmp_path):
    store = KeyStore(tmp_path / "short")
    store.init(now=T0, lifetime=timedelta(days=10))
    with pytest.raises(SigningKeyError, match="expired"):
        store.signing_key(now=T0 + timedelta(days=11))
    early = issue_credential(passport, taxonomy, store.signing_key(now=T0 + timedelta(days=1)), issuer_name="x",
                             now=T0 + timedelta(days=1))
    assert verify_credential(early, store.keyring(), now=T0 + timedelta(days=400)).valid
    # a forger holding the expired private key cannot date a signature after expiry
    key, private = store.signing_key(now=T0 + timedelta(days=1))
    expired_view = key.model_copy(update={"not_after": T0 + timedelta(days=100)})
    late = issue_credential(passport, taxonomy, (expired_view, private), issuer_name="x", now=T0 + timedelta(days=20))
    report = verify_credential(late, store.keyring(), now=T0 + timedelta(days=21))
    assert [p.path for p in report.problems] == ["proof.verificationMethod"] and "expired" in report.problems[0].message


def test_a_revoked_key_invalidates_what_it_signed(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    keys.revoke(credential["issuer"]["id"], now=T0 + timedelta(days=3), reason="laptop stolen")
    report = verify_credential(credential, keys.keyring(), now=LATER)
    assert "revoked" in report.problems[0].message and "laptop stolen" in report.problems[0].message
    with pytest.raises(SigningKeyError, match="no active key"):
        keys.signing_key(now=LATER)


def test_an_expired_credential_and_a_future_one_fail_on_dates(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    assert [p.path for p in verify_credential(credential, keys.keyring(), now=T0 + timedelta(days=800)).problems] \
        == ["validUntil"]
    assert [p.path for p in verify_credential(credential, keys.keyring(), now=T0 - timedelta(hours=1)).problems] \
        == ["validFrom"]


def test_schema_problems_name_the_field(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    credential["credentialSubject"]["skillsPassport"]["education_eqf"] = 11
    del credential["proof"]["proofValue"]
    paths = {p.path for p in verify_credential(credential, keys.keyring(), now=LATER).problems}
    assert paths == {"credentialSubject.skillsPassport.education_eqf", "proof"}
    assert not verify_credential("{not json", keys.keyring(), now=LATER).valid
    assert "line 1" in str(verify_credential("{not json", keys.keyring(), now=LATER).problems[0])


def test_private_keys_are_private_and_never_inside_a_repository(tmp_path, keys):
    pem = next(keys.directory.glob("*.pem"))
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.directory.stat().st_mode) == 0o700
    assert "PRIVATE" not in keys.keyring_path.read_text()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(SigningKeyError, match="never be stored in a repository"):
        KeyStore(repo / "keys").init(now=T0)


def test_a_passphrase_encrypts_the_private_key(tmp_path, monkeypatch, passport, taxonomy):
    monkeypatch.setenv("SKILLPASS_KEY_PASSPHRASE", "correct horse")
    store = KeyStore(tmp_path / "locked")
    store.init(now=T0)
    assert b"ENCRYPTED" in next(store.directory.glob("*.pem")).read_bytes()
    assert verify_credential(signed(passport, taxonomy, store), store.keyring(), now=LATER).valid
    monkeypatch.setenv("SKILLPASS_KEY_PASSPHRASE", "wrong")
    with pytest.raises(SigningKeyError, match="SKILLPASS_KEY_PASSPHRASE"):
        store.signing_key(now=T0)


def test_the_key_identifier_is_a_did_key_of_the_public_key(keys):
    key_id = keys.keyring().active_key_id
    assert key_id.startswith("did:key:z6Mk")  # the multicodec prefix of Ed25519 keys
    public_key_from_did(key_id)
    with pytest.raises(SigningKeyError):
        public_key_from_did("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")  # a secp256k1 key


def test_the_public_keyring_is_enough_to_verify(passport, taxonomy, keys, tmp_path):
    credential = signed(passport, taxonomy, keys)
    exported = tmp_path / "trusted.json"
    exported.write_text(keys.keyring_path.read_text())
    assert verify_credential(credential, PublicKeyring.load(exported), now=LATER).valid
    with pytest.raises(SigningKeyError, match="no keyring"):
        PublicKeyring.load(tmp_path / "missing.json")


def test_section_digests_depend_on_content_not_layout():
    a = {"x": {"b": 1.0, "a": [1, 2]}, "y": "é"}
    b = json.loads(json.dumps({"y": "é", "x": {"a": [1, 2], "b": 1}}, indent=3))
    assert section_digests(a) == section_digests(b)
    assert canonical_json(a) == canonical_json(b)


def test_the_same_passport_key_and_moment_give_the_same_credential(passport, taxonomy, keys):
    assert signed(passport, taxonomy, keys) == signed(passport, taxonomy, keys)
    assert signed(passport, taxonomy, keys)["id"] != signed(passport, taxonomy, keys, at=T0 + timedelta(seconds=1))["id"]


@pytest.mark.parametrize("mutate,expected", [
    (lambda text: text.replace('"education_eqf": 2', '"education_eqf": 8, "education_eqf": 2', 1), "appears twice"),
    (lambda text: text.replace('"version": 1', '"version": 99999999999999999999', 1), "outside"),
    (lambda text: text.replace('"holder_id": "h-7"', '"holder_id": "\\udc00"', 1), "surrogate"),
    (lambda text: text.replace('"name": "skillpass skills passport"', '"name": ' + "[" * 5000 + "]" * 5000, 1),
     "not I-JSON"),
])
def test_json_that_readers_could_read_differently_is_refused_not_crashed_on(passport, taxonomy, keys, mutate,
                                                                              expected):
    text = mutate(json.dumps(signed(passport, taxonomy, keys), indent=1))
    report = verify_credential(text, keys.keyring(), now=LATER)
    assert not report.valid and expected in str(report.problems[0])


def test_rotation_and_revocation_destroy_the_private_key(keys):
    first = keys.keyring().active_key_id
    keys.rotate(now=T0)
    assert len(list(keys.directory.glob("*.pem"))) == 1
    keys.revoke(keys.keyring().active_key_id, now=T0 + timedelta(days=1), reason="test")
    assert not list(keys.directory.glob("*.pem"))
    assert keys.keyring().find(first).retired_at == T0


def test_an_empty_passphrase_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLPASS_KEY_PASSPHRASE", "")
    with pytest.raises(SigningKeyError, match="set but empty"):
        KeyStore(tmp_path / "k").init(now=T0)


def test_the_verification_method_must_be_the_issuer_keys_own(passport, taxonomy, keys):
    credential = signed(passport, taxonomy, keys)
    key_id = credential["issuer"]["id"]
    credential["proof"]["verificationMethod"] = f"{key_id}#z6MkAnother"
    report = verify_credential(credential, keys.keyring(), now=LATER)
    assert [p.path for p in report.problems] == ["proof.verificationMethod"]
    assert "is not a verification method" in report.problems[0].message
