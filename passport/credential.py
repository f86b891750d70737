"""The passport as a signed, portable verifiable credential.

Layout: a W3C Verifiable Credential (data model 2.0) in the Open Badges 3.0 style — an
``OpenBadgeCredential`` whose ``credentialSubject`` is an ``AchievementSubject``. Skills
are identified by their ESCO URIs. The subject also carries the whole passport document
(``skillsPassport``), so the credential moves a passport to another platform intact.

Proof: a Data Integrity proof with the ``eddsa-jcs-2022`` cryptosuite — Ed25519 over
SHA-256(JCS(proof options)) ‖ SHA-256(JCS(credential)). To say *what* was altered, not
only *that* something was, the proof options also carry a manifest of digests of the
credential's sections, signed on its own; the manifest is inside the signed proof
options, so it cannot be swapped either.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

import jsonschema
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passport.canonical import (CanonicalizationError, b58encode, canonical_json, loads_strict, multibase_decode,
                                sha256_multibase)
from passport.credential_schema import CREDENTIAL_CONTEXT, CREDENTIAL_TYPES, credential_json_schema
from passport.errors import RecordReferenceError
from passport.evidence import check_profile_follows_evidence, combine_evidence
from passport.keys import IssuerKey, PublicKeyring, SigningKeyError, public_key_from_did
from passport.models import Passport
from passport.portable import json_path
from passport.taxonomy import Taxonomy

CRYPTOSUITE = "eddsa-jcs-2022"
DEFAULT_VALIDITY = timedelta(days=2 * 365)
# Sections deeper than this share their parent's digest; depth 5 reaches one skill or one evidence item.
MANIFEST_DEPTH = 5
MANIFEST_LEAF_DEPTH = 3


@dataclass(frozen=True)
class VerificationProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class VerificationReport:
    """What a check of a credential found; ``valid`` only when there is no problem at all."""

    problems: list[VerificationProblem] = field(default_factory=list)
    credential_id: str | None = None
    issuer: str | None = None
    key_id: str | None = None
    signed_at: str | None = None
    passport_id: str | None = None
    passport_version: int | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    def fail(self, path: str, message: str) -> "VerificationReport":
        self.problems.append(VerificationProblem(path, message))
        return self


def issue_credential(passport: Passport, taxonomy: Taxonomy, signing: tuple[IssuerKey, Ed25519PrivateKey], *,
                     issuer_name: str, now: datetime, valid_for: timedelta = DEFAULT_VALIDITY) -> dict:
    """The signed credential document of a passport, ready for ``json.dumps``."""
    check_profile_follows_evidence(passport)
    passport.check_references(taxonomy)
    key, private = signing
    problem = key.usable_for_signature_made_at(now)
    if problem:
        raise SigningKeyError(f"cannot sign: {problem}")
    subject = _subject(passport, taxonomy)
    # Same passport, key and moment give the same credential: exports are reproducible and a
    # repeated export is recognisably the same credential.
    credential_id = uuid.uuid5(uuid.NAMESPACE_URL, "skillpass:" + sha256_multibase(
        {"key": key.key_id, "created": _timestamp(now), "subject": subject}))
    document = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": f"urn:uuid:{credential_id}",
        "type": list(CREDENTIAL_TYPES),
        "name": "skillpass skills passport",
        "issuer": {"id": key.key_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": _timestamp(now),
        "validUntil": _timestamp(now + valid_for),
        "credentialSchema": [{"id": "https://skillpass.example/schemas/credential-1.1.json", "type": "JsonSchema"}],
        "credentialSubject": subject,
    }
    manifest = section_digests(document)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _timestamp(now),
        "verificationMethod": f"{key.key_id}#{key.key_id.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
        "digestManifest": manifest,
        "manifestSignature": "z" + b58encode(private.sign(canonical_json(manifest))),
    }
    proof["proofValue"] = "z" + b58encode(private.sign(_signing_input(document, proof)))
    return {**document, "proof": proof}


def verify_credential(credential: dict | str | bytes, keyring: PublicKeyring, *, now: datetime) -> VerificationReport:
    """Check structure and schema, issuer key, both signatures, dates, and the passport inside."""
    report = VerificationReport()
    if isinstance(credential, (str, bytes)):
        try:
            credential = loads_strict(credential)
        except json.JSONDecodeError as error:
            return report.fail("", f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}")
        except UnicodeDecodeError as error:
            return report.fail("", f"not UTF-8 text: byte {error.start} cannot be decoded")
        except (CanonicalizationError, RecursionError) as error:
            return report.fail("", f"not I-JSON: {error if str(error) else 'nested too deeply'}")
    if not isinstance(credential, dict):
        return report.fail("", "a credential is a JSON object")
    try:
        return _verify_document(credential, keyring, now, report)
    except CanonicalizationError as error:
        return report.fail("", f"not I-JSON: {error}")
    except RecursionError:
        return report.fail("", "not I-JSON: nested too deeply")


def _verify_document(credential: dict, keyring: PublicKeyring, now: datetime,
                     report: VerificationReport) -> VerificationReport:
    canonical_json(credential)  # refuse non-I-JSON before anything relies on its canonical form
    for error in sorted(_schema_validator().iter_errors(credential), key=lambda e: list(e.absolute_path)):
        report.fail(json_path(error.absolute_path), error.message)
    if not report.valid:
        return report
    proof = credential["proof"]
    document = {k: v for k, v in credential.items() if k != "proof"}
    subject_passport = credential["credentialSubject"]["skillsPassport"]
    report.credential_id, report.issuer = credential["id"], credential["issuer"]["id"]
    report.signed_at, report.key_id = proof["created"], proof["verificationMethod"].split("#", 1)[0]
    report.passport_id, report.passport_version = subject_passport["passport_id"], subject_passport["version"]
    if report.key_id != report.issuer:
        return report.fail("proof.verificationMethod", f"signed by {report.key_id}, but the issuer is {report.issuer}")
    fragment = proof["verificationMethod"].split("#", 1)[1]
    if fragment != report.key_id.removeprefix("did:key:"):
        # did:key resolves its one verification method to the key's own multibase value
        return report.fail("proof.verificationMethod", f"#{fragment} is not a verification method of {report.key_id}")
    try:
        public_key = public_key_from_did(proof["verificationMethod"])
    except SigningKeyError as error:
        return report.fail("proof.verificationMethod", str(error))
    key = keyring.find(report.key_id)
    if key is None:
        return report.fail("issuer.id", f"{report.key_id} is not a key of the trusted issuer {keyring.issuer!r}")
    signed_at = _parse_time(proof["created"], "proof.created", report)
    if signed_at is None:
        return report
    problem = key.usable_for_signature_made_at(signed_at)
    if problem:
        report.fail("proof.verificationMethod", problem)
    try:
        public_key.verify(multibase_decode(proof["manifestSignature"]), canonical_json(proof["digestManifest"]))
        manifest_intact = True
    except (InvalidSignature, ValueError):
        manifest_intact = False
    try:
        public_key.verify(multibase_decode(proof["proofValue"]), _signing_input(document, proof))
    except (InvalidSignature, ValueError):
        if not manifest_intact:
            report.fail("proof", "the proof was altered: its digest manifest does not match its signature")
        else:
            changed = changed_sections(document, proof["digestManifest"])
            for path, how in changed:
                report.fail(path, f"{how} after signing")
            if not changed:
                report.fail("proof", "the proof options were altered after signing")
        return report
    _check_dates(credential, now, report)
    _check_passport(credential["credentialSubject"], report)
    return report


def passport_from_credential(credential: dict) -> Passport:
    """The passport a (verified) credential carries."""
    return Passport.model_validate(credential["credentialSubject"]["skillsPassport"])


def section_digests(document: dict) -> dict[str, str]:
    digests: dict[str, str] = {}
    _walk(document, "", 0, digests)
    return digests


def changed_sections(document: dict, manifest: dict[str, str]) -> list[tuple[str, str]]:
    """Where the document differs from the signed manifest: ``(path, "changed" | "removed" | "added")``.

    An edit is reported at the deepest section that holds it; a removed or added section
    at its top, not once per field inside it.
    """
    current = section_digests(document)
    removed = {p for p in manifest if p not in current}
    added = {p for p in current if p not in manifest}
    edited = {p for p in manifest if p in current and manifest[p] != current[p]}
    found = [(p, "removed") for p in removed if not any(_is_inside(p, q) for q in removed)]
    found += [(p, "added") for p in added if not any(_is_inside(p, q) for q in added)]
    found += [(p, "changed") for p in edited if not any(_is_inside(q, p) for q in edited | removed | added)]
    return sorted(found, key=lambda item: [int(part) if part.isdigit() else part
                                           for part in re.split(r"\[(\d+)\]", item[0])])


def _walk(node, path: str, depth: int, out: dict[str, str]) -> None:
    # Sections are objects and lists down to MANIFEST_DEPTH, single values only near the top:
    # enough to name one skill or one evidence item, without a digest per number.
    container = isinstance(node, (dict, list))
    if path and (container or depth <= MANIFEST_LEAF_DEPTH):
        out[path] = sha256_multibase(node)
    if depth >= MANIFEST_DEPTH:
        return
    if isinstance(node, dict):
        for key, child in node.items():
            _walk(child, f"{path}.{key}" if path else key, depth + 1, out)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _walk(child, f"{path}[{i}]", depth + 1, out)


def _is_inside(inner: str, outer: str) -> bool:
    return inner.startswith(outer + ".") or inner.startswith(outer + "[")


def _signing_input(document: dict, proof: dict) -> bytes:
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = document["@context"]
    return hashlib.sha256(canonical_json(options)).digest() + hashlib.sha256(canonical_json(document)).digest()


def _subject(passport: Passport, taxonomy: Taxonomy) -> dict:
    soft = taxonomy.soft_skills
    hard = taxonomy.hard_skills
    combined = combine_evidence(passport.evidence)
    skills = [{"id": soft.at[s, "esco_uri"], "skillId": s, "name": soft.at[s, "label_en"],
               "level": passport.profile.skills[s].level, "standardError": passport.profile.skills[s].se,
               "basis": combined[s].basis if s in combined else "assessed"}
              for s in taxonomy.skill_ids if s in passport.profile.skills]
    return {
        "id": f"urn:skillpass:holder:{quote(passport.holder_id, safe='')}",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "urn:skillpass:achievement:skills-passport",
            "type": ["Achievement"],
            "name": "Skills passport",
            "description": "Soft skills measured in the Skillsprint, with standard errors, and certificates.",
            "criteria": {"narrative": "Levels on the 1-5 mastery scale follow from the listed evidence by the "
                                      "skillpass evidence rules; each carries its standard error."},
            "alignment": [{"type": ["Alignment"], "targetName": item["name"], "targetUrl": item["id"],
                           "targetFramework": "ESCO", "targetCode": item["skillId"]} for item in skills],
        },
        "skills": skills,
        "notMeasured": [{"id": soft.at[s, "esco_uri"], "skillId": s} for s in taxonomy.skill_ids
                        if s not in passport.profile.skills],
        "certificates": [{"id": hard.at[c.hard_skill_id, "esco_uri"], "hardSkillId": c.hard_skill_id,
                          "name": hard.at[c.hard_skill_id, "label_en"], "evidence": c.evidence}
                         for c in passport.hard_skills],
        "skillsPassport": passport.model_dump(mode="json"),
    }


def _check_dates(credential: dict, now: datetime, report: VerificationReport) -> None:
    valid_from = _parse_time(credential["validFrom"], "validFrom", report)
    valid_until = _parse_time(credential["validUntil"], "validUntil", report)
    if valid_from and now < valid_from:
        report.fail("validFrom", f"not valid before {credential['validFrom']}")
    if valid_until and now >= valid_until:
        report.fail("validUntil", f"expired on {credential['validUntil']}")


def _check_passport(subject: dict, report: VerificationReport) -> None:
    try:
        passport = Passport.model_validate(subject["skillsPassport"])
        check_profile_follows_evidence(passport)
    except RecordReferenceError as error:
        report.fail(f"credentialSubject.skillsPassport.{error.field}", error.problem)
    except ValueError as error:
        report.fail("credentialSubject.skillsPassport", str(error).splitlines()[0])


def _parse_time(text: str, path: str, report: VerificationReport) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        report.fail(path, f"{text!r} is not a date-time")
        return None
    if parsed.tzinfo is None:
        report.fail(path, f"{text!r} has no time zone")
        return None
    return parsed


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=1)
def _schema_validator():
    return jsonschema.Draft202012Validator(credential_json_schema())
