"""A resumable Skillsprint session: events arrive in batches, out of order, or twice.

Each event names its instrument and carries an ``event_id`` unique within the session. A
batch is checked as a whole before anything is kept, so a bad batch changes nothing; an
event already stored with the same content is a harmless repeat, and the same id with
other content is refused. Order does not matter: scoring sorts by trial. The session can
be saved as JSON at any point and resumed elsewhere (the service stores it this way).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from assessment.errors import AssessmentInputError
from assessment.skillsprint import BATTERY, Engine, SkillsprintResult, instrument, score_skillsprint
from passport.models import InstrumentRun, Provenance

SESSION_FORMAT = "skillpass-skillsprint-session/1"


@dataclass(frozen=True)
class BatchReceipt:
    accepted: int
    repeated: int


def _canonical(record: dict) -> dict:
    """Validated values as plain JSON types, so stored and re-sent events compare exactly."""
    out = {}
    for key, value in record.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        out[key] = value
    return out


@dataclass
class SkillsprintSession:
    session_id: str
    events: dict[str, dict[str, dict]] = field(default_factory=dict)  # instrument → event_id → event

    def add_events(self, batch: list[dict]) -> BatchReceipt:
        """Check a batch as a whole, then keep it; returns how many events were new."""
        return self.keep_checked(self.check_batch(batch))

    def check_batch(self, batch: list[dict]) -> dict[str, list[dict]]:
        """The batch's events validated against their instruments' schemas, by instrument.

        Depends only on the batch and the session id, not on what is stored, so a service
        can run this costly part before it locks the stored session (see
        :meth:`keep_checked`).
        """
        if not isinstance(batch, list):
            raise AssessmentInputError("skillsprint", "a batch is a list of events")
        by_instrument: dict[str, list[dict]] = {}
        for position, event in enumerate(batch):
            if not isinstance(event, dict):
                raise AssessmentInputError("skillsprint", f"event {position} is not an object")
            event_id = event.get("event_id")
            if event_id is None or str(event_id) == "":
                raise AssessmentInputError("skillsprint", f"event {position} has no event_id", field="event_id")
            name = event.get("instrument")
            try:
                instrument(str(name))
            except KeyError as exc:
                raise AssessmentInputError("skillsprint", exc.args[0], event_id=event_id, field="instrument") from None
            session = event.get("session_id", self.session_id)
            if session != self.session_id:
                raise AssessmentInputError(str(name), f"belongs to session {session!r}, not {self.session_id!r}",
                                           event_id=event_id, field="session_id")
            fields = {k: v for k, v in event.items() if k != "instrument"}
            by_instrument.setdefault(str(name), []).append({**fields, "event_id": str(event_id),
                                                            "session_id": self.session_id})
        return {name: [_canonical(record) for record in instrument(name).schema.validate(records).to_dict("records")]
                for name, records in by_instrument.items()}

    def keep_checked(self, checked: dict[str, list[dict]]) -> BatchReceipt:
        """Keep the events of a checked batch that are new; a resend must match what is kept."""
        staged: dict[str, dict[str, dict]] = {}
        repeated = 0
        for name, records in checked.items():
            stored = self.events.get(name, {})
            for record in records:
                previous = stored.get(record["event_id"])
                if previous is not None:
                    if previous != record:
                        raise AssessmentInputError(name, "sent again with different content",
                                                   event_id=record["event_id"], field="event_id")
                    repeated += 1
                    continue
                staged.setdefault(name, {})[record["event_id"]] = record
        for name, records in staged.items():
            self.events.setdefault(name, {}).update(records)
        return BatchReceipt(accepted=sum(len(r) for r in staged.values()), repeated=repeated)

    # ------------------------------------------------------------------ progress and scoring

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: pd.DataFrame.from_records(list(records.values()))
                for name, records in self.events.items() if records}

    def progress(self) -> dict[str, dict]:
        out = {}
        frames = self.frames()
        for name, _, _ in BATTERY:
            inst = instrument(name)
            played = len({e["trial"] for e in self.events.get(name, {}).values()})
            if name in frames:
                prepared, _ = inst.prepare(frames[name])
                share = float(inst.completion(prepared, pd.Index([self.session_id])).iloc[0])
            else:
                share = 0.0
            out[name] = {"trials": played, "of": inst.n_trials, "completion": round(share, 3), "finished": share >= 1.0}
        return out

    def next_scenario(self) -> str | None:
        """The adaptive scenario test's next item, or None when it has stopped."""
        sjt = instrument("sjt")
        frame = self.frames().get("sjt")
        events = sjt.schema.validate([] if frame is None else frame)
        return sjt.next_item(events)

    def score(self, engine: Engine | None = None) -> SkillsprintResult:
        return score_skillsprint(self.frames(), engine, sessions=[self.session_id])

    def provenance(self, result: SkillsprintResult, completed_at: datetime) -> Provenance:
        runs = [InstrumentRun(instrument_id=name, session_id=self.session_id, completed_at=completed_at,
                              scoring_version=result.versions[name], norms_version=result.versions["norms"])
                for name in result.versions if name not in ("norms", "measurement_model")]
        return Provenance(method="skillsprint", instruments=runs,
                          measurement_model_version=result.versions["measurement_model"])

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> str:
        return json.dumps({"format": SESSION_FORMAT, "session_id": self.session_id, "events": self.events},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SkillsprintSession":
        data = json.loads(text)
        if data.get("format") != SESSION_FORMAT:
            raise AssessmentInputError("skillsprint", f"not a {SESSION_FORMAT} document", field="format")
        return cls(session_id=data["session_id"], events=data["events"])
