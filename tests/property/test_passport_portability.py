"""Any valid passport survives export and import; any changed byte of a credential fails it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport.canonical import canonical_json
from passport.credential import (
    issue_credential,
    passport_from_credential,
    verify_credential,
)
from passport.keys import KeyStore
from passport.portable import (
    PassportFormatError,
    export_passport_json,
    import_passport_json,
)
from tests.strategies import passports

NOW = datetime(2027, 6, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    store = KeyStore(tmp_path_factory.mktemp("issuer") / "keys")
    store.init(now=NOW - timedelta(days=1))
    return store


@pytest.fixture(scope="module")
def signing(keys):
    return keys.signing_key(now=NOW)


@pytest.fixture(scope="module")
def strategy(taxonomy):
    return passports(taxonomy)


def test_json_round_trip(taxonomy, strategy):
    @given(strategy)
    def check(passport):
        assert import_passport_json(export_passport_json(passport), taxonomy) == passport
    check()


def test_credential_round_trip(taxonomy, strategy, keys, signing):
    @given(strategy)
    @settings(max_examples=25)
    def check(passport):
        credential = issue_credential(passport, taxonomy, signing, issuer_name="test", now=NOW)
        text = json.dumps(credential, indent=2, ensure_ascii=False)
        report = verify_credential(text, keys.keyring(), now=NOW + timedelta(days=1))
        assert report.valid, report.problems
        assert passport_from_credential(json.loads(text)) == passport
    check()


def test_any_changed_byte_of_the_signed_content_fails(taxonomy, strategy, keys, signing):
    @given(strategy, st.data())
    @settings(max_examples=40)
    def check(passport, data):
        credential = issue_credential(passport, taxonomy, signing, issuer_name="test", now=NOW)
        content = bytearray(canonical_json(credential))
        # the content's length varies between runs (a fresh credential id changes the signatures'
        # base58 length), so draw a fraction of it rather than a position bounded by it
        position = int(data.draw(st.floats(0, 1, exclude_max=True), label="where") * len(content))
        # a printable byte that differs from the one there, drawn without looking at it
        step = data.draw(st.integers(1, 94), label="step")
        content[position] = 0x20 + (content[position] - 0x20 + step) % 95
        try:
            altered = json.loads(bytes(content))
        except ValueError:
            altered = None
        if altered == credential:  # the change did not change the content (not reachable with canonical bytes)
            return
        report = verify_credential(bytes(content), keys.keyring(), now=NOW + timedelta(days=1))
        assert not report.valid
    check()


def test_an_edited_level_in_a_plain_export_is_refused(taxonomy):
    from passport.evidence import evidence_from_profile, profile_from_evidence
    from passport.models import Location, Passport, SkillEstimate, SkillProfile

    evidence = evidence_from_profile(SkillProfile(skills={"focus": SkillEstimate(level=2.0, se=0.4)}),
                                     observed_at=NOW, recorded_by="skillsprint")
    passport = Passport(passport_id="p", holder_id="h", education_eqf=2, location=Location(lat=51.4, lon=5.5),
                        evidence=evidence, profile=profile_from_evidence(evidence))
    document = json.loads(export_passport_json(passport))
    document["profile"]["skills"]["focus"]["level"] = 4.5
    with pytest.raises(PassportFormatError, match="profile.skills.focus"):
        import_passport_json(json.dumps(document), taxonomy)
    document["profile"]["skills"]["focus"]["level"] = 7
    with pytest.raises(PassportFormatError, match="profile.skills.focus.level: 7 is greater than the maximum of 5"):
        import_passport_json(json.dumps(document), taxonomy)
    with pytest.raises(PassportFormatError, match="not JSON"):
        import_passport_json("{", taxonomy)
