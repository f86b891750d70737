"""Errors raised by the assessment engine; each names the instrument, the event and the field."""

from __future__ import annotations


class AssessmentInputError(ValueError):
    """Events, responses or settings that the engine cannot accept.

    Attributes
    ----------
    instrument : str
        The instrument (or ``"skillsprint"`` for the session as a whole).
    problem : str
        What is wrong, in words.
    event_id : str or None
        The first offending event, when one event is at fault.
    field : str or None
        The field at fault.
    """

    def __init__(self, instrument: str, problem: str, *, event_id=None, field: str | None = None):
        self.instrument, self.problem, self.event_id, self.field = instrument, problem, event_id, field
        where = instrument + (f" event {event_id!r}" if event_id is not None else "") + (
            f", field '{field}'" if field else "")
        super().__init__(f"{where}: {problem}")
