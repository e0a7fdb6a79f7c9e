"""What a certificate states, in one shape for the PDF, the verification page and the signed credential."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Details:
    """What a certificate states: the same on the PDF, the verification page and the credential."""

    code: str  # unique code, shown as is
    learner: str  # the learner's name
    course: str  # course title, in the certificate's language
    hours: float  # the course's hours, from module durations
    cohort: str  # cohort name, "" outside a cohort
    cohort_start: dt.date | None
    cohort_end: dt.date | None
    institution: str  # the learner's institution, may be ""
    academy: str  # the issuing academy
    language: str  # interface language of the certificate: en, fr, es, ru or ar
    completed: dt.date  # the day the course was completed
    verify_url: str  # the public verification page; the QR code holds exactly this address
