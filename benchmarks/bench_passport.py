"""Signing and verifying passport credentials against bare Ed25519 on the same bytes.

Peer: one Ed25519 signature (and verification) of the credential's canonical bytes with
the ``cryptography`` package — the floor any signed format pays. The ratio shows what
canonicalisation, the section manifest, schema validation and the evidence check add.
Passports: every soft skill measured by two instruments, so the credential is as large as
a full Skillsprint makes it.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from passport.canonical import canonical_json
from passport.credential import issue_credential, verify_credential
from passport.issuance import issue_passport
from passport.keys import KeyStore
from passport.models import HardSkillClaim, Location, SkillEvidence
from passport.taxonomy import load_taxonomy

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def full_passport(taxonomy, instruments_per_skill: int):
    evidence = [SkillEvidence(skill_id=skill_id, source="assessed", level=1.0 + (k * 7 + i) % 40 / 10, se=0.3 + i / 10,
                              observed_at=NOW, recorded_by=f"instrument-{i}", reference="session-1")
                for k, skill_id in enumerate(taxonomy.skill_ids) for i in range(instruments_per_skill)]
    return issue_passport(taxonomy, passport_id="bench", holder_id="holder", education_eqf=2,
                          location=Location(lat=51.44, lon=5.48), evidence=evidence,
                          hard_skills=[HardSkillClaim(hard_skill_id=h, evidence="verified")
                                       for h in taxonomy.hard_skill_ids[:3]], actor="issuer", at=NOW).current


class PassportCredential:
    params = [1, 2]
    fast_params = [2]
    param_name = "instruments_per_skill"
    repeats = 200

    def run(self, instruments_per_skill) -> dict:
        taxonomy = load_taxonomy()
        passport = full_passport(taxonomy, instruments_per_skill)
        store = KeyStore(Path(tempfile.mkdtemp()) / "keys")
        store.init(now=NOW - timedelta(days=1))
        signing = store.signing_key(now=NOW)
        keyring = store.keyring()
        start = time.perf_counter()
        for _ in range(self.repeats):
            credential = issue_credential(passport, taxonomy, signing, issuer_name="bench", now=NOW)
        issue_seconds = (time.perf_counter() - start) / self.repeats
        start = time.perf_counter()
        for _ in range(self.repeats):
            report = verify_credential(credential, keyring, now=NOW)
        verify_seconds = (time.perf_counter() - start) / self.repeats
        if not report.valid:
            raise AssertionError(report.problems)
        content = canonical_json(credential)
        private = signing[1]
        start = time.perf_counter()
        for _ in range(self.repeats):
            signature = private.sign(content)
        peer_sign = (time.perf_counter() - start) / self.repeats
        public = private.public_key()
        start = time.perf_counter()
        for _ in range(self.repeats):
            public.verify(signature, content)
        peer_verify = (time.perf_counter() - start) / self.repeats
        return {"instruments_per_skill": instruments_per_skill, "credential_bytes": len(content),
                "manifest_sections": len(credential["proof"]["digestManifest"]),
                "issue_ms": round(issue_seconds * 1e3, 2), "verify_ms": round(verify_seconds * 1e3, 2),
                "peer_ed25519_sign_ms": round(peer_sign * 1e3, 3), "peer_ed25519_verify_ms": round(peer_verify * 1e3, 3),
                "issue_vs_peer": round(issue_seconds / peer_sign, 1),
                "verify_vs_peer": round(verify_seconds / peer_verify, 1)}
