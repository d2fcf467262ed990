"""What a contract test may ask of, and do to, the agency's test system."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Literal, Protocol

FailureKind = Literal["transient", "permanent"]


class AgencyUnderTest(Protocol):
    """The agency's test system, as the contract suite drives it.

    Each answer comes from the agency's side (its own store, its mailbox), never from the
    connector: that is what makes the contract's checks able to fail.
    """

    @property
    def statuses(self) -> Sequence[str]:
        """The statuses a new case passes at the agency, in order, as its system reports them:
        the first at once after the push, each next one after :meth:`advance` — or, where the
        agency sets ``silent_until_advanced = True`` (a mailbox before the clerk's first
        reply), the first after the first :meth:`advance` too."""
        ...

    def advance(self, external_id: str) -> None:
        """Move the case one status on, as the agency's clerk would."""
        ...

    def cases_for(self, reference: str) -> int:
        """How many cases the agency holds for the referral with this ``reference``."""
        ...

    def failing(self, kind: FailureKind) -> AbstractContextManager[None]:
        """While inside, every call to the agency fails: ``transient`` as a system that is down
        or overloaded (HTTP 503, SMTP 421 …), ``permanent`` as one that refuses the request
        itself (HTTP 400, a SOAP client fault, SMTP 550 …)."""
        ...
