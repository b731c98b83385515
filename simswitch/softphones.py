"""The agents' softphones: what a directory user (``user/<extension>``) does when FreeSWITCH rings it.

mod_callcenter reaches an agent at its contact, ``user/<extension>`` for autocall's agents: a
phone that is registered or not (``USER_NOT_REGISTERED``, no channel at all; ``unregister_after``: it
goes away after that many calls, as a softphone closed mid-shift), rings for a while,
answers or not (no answer rings until the originate gives up; ``refuse`` answers a SIP error, 486
busy or 603 decline, instead), then talks and hangs up, or waits for the lead to hang up. A
scenario's ``agents:`` section says so for every extension (``default``) and per extension
(``phones``, each entry overriding the default's fields it names). Without that section a
``user/`` leg follows the scenario's rules like any number (docs/simswitch.md).
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Seconds = float | tuple[float, float]


def pick(rng: random.Random, value: Seconds) -> float:
    """A number of seconds: the value, or uniform in ``[min, max]``."""
    if isinstance(value, tuple):
        lo, hi = value
        return rng.uniform(lo, hi)
    return float(value)


class Softphone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    registered: bool = True  # False: USER_NOT_REGISTERED, as the user endpoint answers without a contact
    unregister_after: int | None = Field(None, ge=0)  # rung this many times, then not registered
    ring: Seconds = 2.0  # seconds of ringing before it answers (or refuses)
    answer: float = Field(1.0, ge=0.0, le=1.0)  # the chance it answers a call
    refuse: int | None = Field(None, ge=300, le=699)  # not answering: this SIP response; None: it rings on
    talk: Seconds = (30.0, 120.0)  # seconds of conversation once bridged
    hangup: Literal["agent", "lead"] = "agent"  # who ends the conversation after ``talk``


class SoftphoneOverride(BaseModel):
    """A ``phones`` entry: the fields it names replace the default's."""

    model_config = ConfigDict(extra="forbid")
    registered: bool | None = None
    unregister_after: int | None = Field(None, ge=0)
    ring: Seconds | None = None
    answer: float | None = Field(None, ge=0.0, le=1.0)
    refuse: int | None = Field(None, ge=300, le=699)
    talk: Seconds | None = None
    hangup: Literal["agent", "lead"] | None = None


class Softphones(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: Softphone = Softphone()
    phones: dict[str, SoftphoneOverride] = {}

    def phone(self, extension: str) -> Softphone:
        own = self.phones.get(extension)
        if own is None:
            return self.default
        return self.default.model_copy(update=own.model_dump(exclude_unset=True))
