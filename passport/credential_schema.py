"""The published JSON Schema of the passport credential, written as models.

The models exist to generate ``passport/schemas/credential.schema.json`` and so that the
schema and the documents :mod:`passport.credential` writes cannot drift apart (a test
checks every issued credential against it). The embedded passport uses the passport
model itself, so the credential schema includes the passport schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from passport.models import EvidenceSource, Passport

CREDENTIAL_CONTEXT = ("https://www.w3.org/ns/credentials/v2",
                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
Stamp = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
Multibase = Annotated[str, StringConstraints(pattern=r"^z[1-9A-HJ-NP-Za-km-z]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Issuer(_Strict):
    id: str = Field(pattern=r"^did:key:z[1-9A-HJ-NP-Za-km-z]+$")
    type: list[Literal["Profile"]]
    name: str


class _Alignment(_Strict):
    type: list[Literal["Alignment"]]
    targetName: str
    targetUrl: str
    targetFramework: Literal["ESCO"]
    targetCode: str


class _Criteria(_Strict):
    narrative: str


class _Achievement(_Strict):
    id: str
    type: list[Literal["Achievement"]]
    name: str
    description: str
    criteria: _Criteria
    alignment: list[_Alignment]


class _SkillEntry(_Strict):
    id: str
    skillId: str
    name: str
    level: float = Field(ge=1, le=5)
    standardError: float = Field(gt=0)
    basis: EvidenceSource


class _Unmeasured(_Strict):
    id: str
    skillId: str


class _Certificate(_Strict):
    id: str
    hardSkillId: str
    name: str
    evidence: EvidenceSource


class _Subject(_Strict):
    id: str = Field(pattern=r"^urn:skillpass:holder:.+$")
    type: list[Literal["AchievementSubject"]]
    achievement: _Achievement
    skills: list[_SkillEntry]
    notMeasured: list[_Unmeasured]
    certificates: list[_Certificate]
    skillsPassport: Passport


class _SchemaReference(_Strict):
    id: str
    type: Literal["JsonSchema"]


class _Proof(_Strict):
    type: Literal["DataIntegrityProof"]
    cryptosuite: Literal["eddsa-jcs-2022"]
    created: Stamp
    verificationMethod: str = Field(pattern=r"^did:key:z[1-9A-HJ-NP-Za-km-z]+#z[1-9A-HJ-NP-Za-km-z]+$")
    proofPurpose: Literal["assertionMethod"]
    digestManifest: dict[str, str]
    manifestSignature: Multibase
    proofValue: Multibase


class PassportCredential(_Strict):
    context: list[str] = Field(alias="@context", min_length=2)
    id: str = Field(pattern=r"^urn:uuid:[0-9a-f-]{36}$")
    type: list[Literal["VerifiableCredential", "OpenBadgeCredential"]] = Field(min_length=2)
    name: str
    issuer: _Issuer
    validFrom: Stamp
    validUntil: Stamp
    credentialSchema: list[_SchemaReference]
    credentialSubject: _Subject
    proof: _Proof


def credential_json_schema() -> dict:
    schema = PassportCredential.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://skillpass.example/schemas/credential-1.1.json"
    return schema
