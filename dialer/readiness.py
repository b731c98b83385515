"""Can a campaign place a call? One rule, shared by the API and the engine.

It sits below both (it reads only the domain model and ``dialer/media.py``):
the engine imports it directly, the services through
``dialer/service/readiness.py``, which reads the campaign's template and
carrier from the store first.

The API refuses to start (or activate) a campaign that cannot place a call,
naming what is missing; the engine holds a running one that lost what it
needs (claims no lead, counts no attempt) until it is fixed. Both ask
:func:`missing`, so what the API refuses and what the engine holds never
disagree (given the same settings: ``AUTOCALL_AUDIO_DIR``,
``AUTOCALL_DEFAULT_GATEWAY``, ``AUTOCALL_TTS_ENGINE``).

Only what fails *every* call of the campaign is checked here: a problem of
one lead (a number no gateway of the carrier serves, a TTS field the lead
lacks) fails that lead's attempt, as before.

An ``autodialer`` campaign (docs/autodialer.md) needs what an ``autocall``
one does (its message is what a lead no agent took hears before the hangup,
and its calls go out the same way) and, besides, a mod_callcenter queue and
at least one agent its ``users`` and ``groups`` name (the caller counts
them: the store knows the agents, this module does not). Whether any of them
is logged in is pacing's business, not a hold: agents come and go all day.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.domain.enums import CampaignType, TypeAutocall
from dialer.domain.models import Campaign, Carrier, Template
from dialer.media import MessageFiles, MessageUnavailable

CANNOT_DIAL = "campaign cannot place a call"
DIALLED_TYPES = (CampaignType.AUTOCALL, CampaignType.AUTODIALER)
NO_AGENT = (
    "no agent serves this campaign: its users and groups name no agent (create agents with POST /v3/agent, "
    "then name them in users, by extension, or in groups)"
)
NO_QUEUE = "no mod_callcenter queue (call_center_queue_uuid is empty)"


@dataclass(frozen=True, slots=True)
class Means:
    """What the dialling server has."""

    files: MessageFiles  # where an autocall_audio template's file is looked for
    default_gateway: str  # AUTOCALL_DEFAULT_GATEWAY: the way out of a campaign with no carrier
    speech: bool  # a speech engine (AUTOCALL_TTS_ENGINE is not "none"): TTS and OTP campaigns can speak


def _name(template: Template) -> str:
    return repr(template.template_name) if template.template_name else template.template_uuid


def _message(campaign: Campaign, template: Template | None, means: Means) -> list[str]:
    kind = campaign.type_autocall
    if campaign.template_uuid and template is None:
        return [f"template {campaign.template_uuid} does not exist"]
    if kind is TypeAutocall.AUDIO:
        if template is None:
            return ["no template: autocall_audio plays its template's audio file (set template_uuid)"]
        if not template.audio_file:
            return [
                f"template {_name(template)} has no audio file, and autocall_audio plays one (upload it, or use "
                "autocall_voice_tts for a text template)"
            ]
        try:
            means.files.audio(template.audio_file)
        except MessageUnavailable as exc:
            return [f"template {_name(template)}: {exc}"]
        return []
    out = []
    if kind is TypeAutocall.VOICE_TTS:  # OTP needs no template: it reads the lead's "otp" field by default
        if template is None:
            out.append("no template: autocall_voice_tts speaks its template's text (set template_uuid)")
        elif not template.text:
            out.append(f"template {_name(template)} has no text, and autocall_voice_tts speaks it")
    if not means.speech:
        out.append(f"no speech engine on this server (AUTOCALL_TTS_ENGINE=none): {kind.value} cannot speak")
    if template is not None and template.prompt_set_uuid:
        out += _prompt_set(template, means)
    return out


def _prompt_set(template: Template, means: Means) -> list[str]:
    """The recordings a TTS or OTP template's prompt set lacks (a prompt deleted since the template was written)."""
    uuid = template.prompt_set_uuid
    try:
        lacking = means.files.prompts_lacking(template)
    except MessageUnavailable as exc:
        return [f"template {_name(template)}: {exc}"]
    if not lacking:
        return []
    return [
        f"template {_name(template)}: prompt set {uuid} lacks the recordings {', '.join(lacking)} "
        f"(upload them: PUT /v3/prompt-set/{uuid}/prompt/<key>)"
    ]


def _route(campaign: Campaign, carrier: Carrier | None, means: Means) -> list[str]:
    if campaign.carrier_uuid:
        if carrier is None:
            return [f"carrier {campaign.carrier_uuid} does not exist"]
        if not any(carrier.gateways.values()):
            return [f"carrier {carrier.carrier_name or carrier.carrier_uuid!r} has no gateway"]
        return []
    if not means.default_gateway:
        return ["no carrier and no default gateway (set carrier_uuid, or AUTOCALL_DEFAULT_GATEWAY on the server)"]
    return []


def _agents(campaign: Campaign, agents: int | None) -> list[str]:
    out = [] if campaign.call_center_queue_uuid else [NO_QUEUE]
    if agents is not None and agents <= 0:
        out.append(NO_AGENT)
    return out


def missing(
    campaign: Campaign,
    template: Template | None,
    carrier: Carrier | None,
    means: Means,
    *,
    route: bool = True,
    agents: int | None = None,
) -> list[str]:
    """What the campaign lacks to place any call (empty: it can). ``template`` and ``carrier`` are the
    ones its ``template_uuid`` and ``carrier_uuid`` name, None when they do not exist (or name none);
    ``route=False`` leaves out the gateway (a test call dials a directory user); ``agents``: how many
    agents an autodialer campaign's ``users`` and ``groups`` name (None: not looked at)."""
    if campaign.type not in DIALLED_TYPES:
        return [
            f"type {campaign.type.value} is not dialled: autocall places the calls of autocall and autodialer "
            "campaigns only"
        ]
    out = _message(campaign, template, means) + (_route(campaign, carrier, means) if route else [])
    if campaign.type is CampaignType.AUTODIALER:
        out += _agents(campaign, agents)
    return out


def explain(why: list[str]) -> str:
    return f"{CANNOT_DIAL}: {'; '.join(why)}"
