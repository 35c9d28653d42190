"""``Note``: a data-quality or method remark for the report, with a code to select it by.

A leaf module, so any stage may attach a note without importing the analysis model.
Codes are dotted, stage first: ``ingest``, ``fidelity.schedule_inferred``,
``fidelity.lr_timing_unknown``, ``remedies.cosine_not_offered``,
``confirm.per_update_schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """``code`` says what kind of remark it is; ``text`` is the sentence the report shows."""

    code: str
    text: str

    def __str__(self) -> str:
        return self.text
