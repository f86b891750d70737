"""``skillpass passport …`` as an issuer, a job seeker and a verifier use it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()

REQUEST = {
    "passport_id": "amira-1", "holder_id": "amira", "education_eqf": 2,
    "location": {"lat": 51.44, "lon": 5.48, "municipality_id": "eindhoven"},
    "profile": {"skills": {"active_listening": {"level": 4.1, "se": 0.3}, "safety_awareness": {"level": 3.2, "se": 0.5}}},
    "measured_at": "2026-11-20T10:00:00Z", "session_id": "sprint-9",
    "hard_skills": [{"hard_skill_id": "vca_basic", "evidence": "verified"}],
    "languages": [{"language": "nl", "cefr": "B1"}],
    "provenance": {"method": "skillsprint", "instruments": [
        {"instrument_id": "sjt", "completed_at": "2026-11-20T10:00:00Z", "scoring_version": "1.0"}]},
}


@pytest.fixture
def homes(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_KEY_DIR", str(tmp_path / "keys"))
    return tmp_path


def run(*args):
    result = runner.invoke(app, ["passport", *map(str, args)])
    return result.exit_code, result.output


def issued(homes):
    request = homes / "request.json"
    request.write_text(json.dumps(REQUEST))
    assert run("keys", "init")[0] == 0
    code, output = run("issue", request)
    assert code == 0, output
    return request


def test_issue_consent_export_verify_show(homes):
    issued(homes)
    code, output = run("consent", "amira-1", "--visible", "--employer", "bakery", "--batch", "--actor", "coach:anna")
    assert code == 0 and "visible to bakery" in output
    code, output = run("history", "amira-1")
    assert code == 0 and "coach:anna" in output
    credential = homes / "out" / "amira.vc.json"
    assert run("export", "amira-1", "--out", credential)[0] == 0
    code, output = run("verify", credential)
    assert code == 0 and "valid" in output and "version 2" in output
    plain = homes / "out" / "amira.json"
    assert run("export", "amira-1", "--format", "json", "--out", plain)[0] == 0
    assert json.loads(plain.read_text())["consent"]["employer_ids"] == ["bakery"]
    for source in ("amira-1", credential, plain):
        code, output = run("show", source, "--out", homes / "print", "--language", "en")
        assert code == 0, output
    page = (homes / "print" / "skillprint-amira-1-en.html").read_text()
    assert "Active listening" in page and 'data-measured="false"' in page
    assert (homes / "print" / "skillprint-amira-1-en.svg").read_text().startswith("<?xml")


def test_verify_names_what_was_tampered_with(homes):
    issued(homes)
    credential = homes / "vc.json"
    run("export", "amira-1", "--out", credential)
    document = json.loads(credential.read_text())
    document["credentialSubject"]["skillsPassport"]["profile"]["skills"]["safety_awareness"]["level"] = 4.8
    credential.write_text(json.dumps(document, indent=2))
    code, output = run("verify", credential)
    assert code == 1
    assert "credentialSubject.skillsPassport.profile.skills.safety_awareness: changed after signing" in output


def test_rotation_keeps_old_credentials_and_a_foreign_keyring_refuses_them(homes):
    issued(homes)
    old = homes / "old.json"
    run("export", "amira-1", "--out", old)
    assert run("keys", "rotate")[0] == 0
    assert run("verify", old)[0] == 0
    public = homes / "trusted.json"
    assert run("keys", "export", public)[0] == 0
    assert "PRIVATE" not in public.read_text()
    assert run("verify", old, "--keyring", public)[0] == 0
    other = homes / "other-keys"
    assert run("keys", "init", "--key-dir", other)[0] == 0
    code, output = run("verify", old, "--key-dir", other)
    assert code == 1 and "not a key of the trusted issuer" in output


def test_bad_requests_name_the_field_and_store_nothing(homes):
    request = homes / "bad.json"
    request.write_text(json.dumps({**REQUEST, "education_eqf": 12}))
    code, output = run("issue", request)
    assert code == 2 and "education_eqf" in output
    request.write_text(json.dumps({**REQUEST, "profile": {"skills": {"telepathy": {"level": 3, "se": 0.4}}}}))
    code, output = run("issue", request)
    assert code == 2 and "telepathy" in output
    assert not (homes / "home" / "passports").exists() or not list((homes / "home" / "passports").iterdir())
    issued(homes)
    code, output = run("issue", homes / "request.json")
    assert code == 2 and "exists already" in output


def test_signing_without_keys_says_how_to_make_them(homes):
    request = homes / "request.json"
    request.write_text(json.dumps(REQUEST))
    run("issue", request)
    code, output = run("export", "amira-1", "--out", homes / "x.json")
    assert code == 2 and "keys init" in output
    assert not (homes / "x.json").exists()


def test_the_synthetic_seeker_gives_a_passport_to_try(homes):
    code, output = run("issue", "--synthetic-seeker", "5")
    assert code == 0 and "demo-5" in output


def test_changing_one_consent_setting_never_widens_another(homes):
    issued(homes)
    assert run("consent", "amira-1", "--visible", "--employer", "bakery")[0] == 0
    code, output = run("consent", "amira-1", "--batch")
    assert code == 0 and "visible to bakery; included in batch matching" in output
    code, output = run("consent", "amira-1", "--all-employers")
    assert code == 0 and "visible to all employers" in output
    code, output = run("consent", "amira-1", "--withdraw")
    assert code == 0 and "hidden from employers; left out of batch matching" in output
    code, output = run("consent", "amira-1", "--employer", "bakery")
    assert code == 2 and "visible_to_employers" in output


def test_show_refuses_a_credential_that_does_not_verify(homes):
    issued(homes)
    credential = homes / "vc.json"
    run("export", "amira-1", "--out", credential)
    document = json.loads(credential.read_text())
    document["credentialSubject"]["skillsPassport"]["holder_id"] = "someone else"
    credential.write_text(json.dumps(document))
    code, output = run("show", credential, "--out", homes / "print")
    assert code == 2 and "does not verify" in output and "holder_id" in output
    assert not (homes / "print").exists()
