"""What a template naming a recorded prompt set is checked for when it is written.

The set must exist and be complete (every required prompt recorded: voice OTPs
and numbers are assembled from it), and hold a ``phrase-<name>`` recording for
each ``[[name]]`` of the template's text; ``[[name]]`` without a set is refused.
The renderer reads the set's files at dial time, and a set changed since (a
prompt deleted) holds the campaigns whose template names it (dialer/readiness.py).
"""

from __future__ import annotations

from dialer.domain.prompt_sets import PromptSet
from dialer.service.context import Services
from tts.prompt_keys import PHRASE_PREFIX, phrases


def text_phrases(text: str) -> tuple[list[str], str]:
    """The ``[[name]]`` phrases of ``text``, and why the text is refused ("" if it is not)."""
    try:
        return phrases(text), ""
    except ValueError as exc:
        return [], str(exc)


def problems(svc: Services, prompt_set_uuid: str, phrase_names: list[str]) -> list[tuple[str, str]]:
    """(field, why) a template may not name the set with these ``[[name]]`` phrases ([] when it may)."""
    if not prompt_set_uuid:
        if not phrase_names:
            return []
        names = ", ".join(f"[[{n}]]" for n in phrase_names)
        return [("text", f"{names} is a recorded phrase, and the template names no prompt set (prompt_set_uuid)")]
    prompt_set = svc.store.prompt_sets.get(prompt_set_uuid)
    if prompt_set is None:
        return [("prompt_set_uuid", f"prompt set {prompt_set_uuid} does not exist")]
    out = []
    missing = prompt_set.missing()
    if missing:
        out.append(("prompt_set_uuid", f"prompt set {_name(prompt_set)} is incomplete: record {', '.join(missing)}"))
    lacking = [n for n in phrase_names if f"{PHRASE_PREFIX}{n}" not in prompt_set.prompts]
    if lacking:
        recordings = ", ".join(f"{PHRASE_PREFIX}{n}" for n in lacking)
        out.append(("text", f"prompt set {_name(prompt_set)} has no recording of {recordings} (upload it first)"))
    return out


def _name(prompt_set: PromptSet) -> str:
    return repr(prompt_set.prompt_set_name) if prompt_set.prompt_set_name else prompt_set.prompt_set_uuid
