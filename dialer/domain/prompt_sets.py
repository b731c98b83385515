"""A recorded prompt set: a name and the prompts recorded so far (their length and rate).

The recordings themselves are files, ``<AUTOCALL_AUDIO_DIR>/prompts/<prompt_set_uuid>/<key>.wav``
(:func:`prompt_dir`); this is what Redis keeps about them, one hash per set holding
the set as JSON (docs/redis-keys.md). Which keys a set may hold and which it must
hold are the speech package's (tts/prompt_keys.py): the renderer reads the same keys.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from dialer.domain.ids import new_uuid
from tts.prompt_keys import missing

PROMPTS_DIR = "prompts"  # under AUTOCALL_AUDIO_DIR: one directory per set


class Recorded(BaseModel):
    """One recorded prompt, as its upload was measured."""

    model_config = ConfigDict(extra="ignore")
    seconds: float
    rate: int


class PromptSet(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt_set_uuid: str = Field(default_factory=new_uuid)
    prompt_set_name: str = ""
    prompts: dict[str, Recorded] = Field(default_factory=dict)  # key -> its recording
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def missing(self) -> list[str]:
        """The required keys not recorded yet (tts.prompt_keys.REQUIRED's order)."""
        return missing(set(self.prompts))


def prompt_dir(audio_dir: Path, prompt_set_uuid: str) -> Path:
    """Where a set's WAVs live: the directory the speech renderer is handed as ``prompts``."""
    return audio_dir / PROMPTS_DIR / prompt_set_uuid
