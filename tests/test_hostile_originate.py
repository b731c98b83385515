"""Hostile text never reaches FreeSWITCH: the exact command the simulator receives.

Campaign names, lead fields, customer ids and template text full of ESL and
dial-string syntax (``}`` ``{`` ``,`` ``|`` quotes, ``^^``, ``${…}``,
``{{…}}``, newlines, NUL, very long strings) enter through the API; the
originate that comes out carries only uuids, a normalised number, a gateway
and caller ID from validated configuration, and a file path autocall chose.
"""

from __future__ import annotations

import re
import shutil

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.ids import job_uuid
from dialer.domain.models import Template
from tests.api_fixtures import snapshot
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import campaign

HOSTILE = [
    "} {",
    "a,b",
    "x|y",
    "it's",
    'say "hi"',
    "^^:a:b",
    "${uuid}",
    "${system(rm -rf /)}",
    "{{ self }}",
    "{{ x.__class__.__mro__ }}",
    "line\nJob-UUID: evil",
    "two\n\nlines",
    "nul\x00byte",
    "tab\tand\rcr",
    "[origination_uuid=x]",
    "{absolute_codec_string=PCMA}",
    "&park()",
    "sofia/gateway/evil/1",
    "x" * 2000,
    "Nguyễn Văn A ${var} |,{}",
]


def originates(server) -> list[str]:
    return [c for c in server.received if c.startswith("bgapi originate")]


def expected(camp, lead: str, call: str, path: str, number: str, timeout: int, engine: str) -> str:
    return (
        f"bgapi originate {{originate_timeout={timeout},ignore_early_media=true,"
        f"autocall_campaign={camp.campaign_uuid},autocall_lead={lead},autocall_call={call},autocall_file={path},"
        f"autocall_engine={engine}}}"
        f"[origination_uuid={call},origination_caller_id_number=02812345678]sofia/gateway/gw1/{number}"
        f" autocall XML autocall\nJob-UUID: {job_uuid(call)}"
    )


def test_hostile_fields_names_and_ids_leave_the_originate_exactly_as_built(api_inproc, store, services, simswitch):
    server = simswitch(time_scale=0.01)
    engine = make_engine(store, server, services.audio_dir)
    try:
        camp = audio_campaign(store, campaign_name="}{,|'\"^^ ${x} {{y}} " + "n" * 200, call_timeout=30)
        fields = {f"f{i}": value for i, value in enumerate(HOSTILE)}
        res = api_inproc(
            "POST",
            "/v3/autocall/import",
            json={"campaign_uuid": camp.campaign_uuid, "phone_number": "0981234567", "param": fields},
        )
        assert res.status_code == 200, res.json
        lead, call = res.json["lead_uuid"], res.json["call_id"]
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: originates(server))
        (command,) = originates(server)
        assert command == expected(
            camp, lead, call, str(services.audio_dir / "hello.wav"), "0981234567", 30, engine.engine_id
        )
    finally:
        engine.stop(drain_timeout=2)


@pytest.mark.parametrize("value", [v for v in HOSTILE if v.strip()][:12])
def test_a_hostile_phone_number_is_refused_and_writes_nothing(api_inproc, store, redis_client, value):
    camp = campaign(store)
    before = snapshot(redis_client)
    res = api_inproc(
        "POST",
        "/v3/autocall/import",
        json={"campaign_uuid": camp.campaign_uuid, "phone_number": "098123456" + value, "param": {}},
    )
    assert res.status_code == 400 and res.json["error"]
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("gateway", ["gw1}", "gw 1", "gw,1", "gw|1", "${gw}", "gw\n1", "x" * 65])
def test_a_carrier_gateway_that_could_alter_a_dial_string_is_refused(api_inproc, redis_client, gateway):
    before = snapshot(redis_client)
    res = api_inproc("POST", "/v3/carrier", json={"carrier_name": "c", "gateways": {"viettel": gateway}})
    assert 400 <= res.status_code < 500 and res.json["error"]
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("caller_id", ["0281}", "028 1", "${x}", "+84|1", "1" * 21])
def test_a_carrier_caller_id_that_could_alter_a_dial_string_is_refused(api_inproc, redis_client, caller_id):
    before = snapshot(redis_client)
    res = api_inproc(
        "POST",
        "/v3/carrier",
        json={"carrier_name": "c", "gateways": {"viettel": "gw1"}, "caller_ids": {"viettel": caller_id}},
    )
    assert 400 <= res.status_code < 500 and res.json["error"]
    assert snapshot(redis_client) == before


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/bootstrap)")
def test_hostile_template_text_becomes_speech_in_a_file_never_text_in_the_command(store, services, simswitch):
    from dialer.config import Settings
    from dialer.daemon import build_renderer
    from dialer.media import MessageFiles

    server = simswitch(time_scale=0.01)
    settings = Settings(audio_dir=services.audio_dir, freeswitch="")
    engine = make_engine(store, server, services.audio_dir)
    engine.files = MessageFiles(services.audio_dir, renderer=build_renderer(settings))
    try:
        template = Template(template_name="t", text="Xin chào {{ ten }}, ${uuid} } { , | ' \" ^^ &park()")
        store.catalog.templates.put(template)
        camp = campaign(store, template_uuid=template.template_uuid, type_autocall=TypeAutocall.VOICE_TTS)
        from tests.factories import leads

        (lead,) = leads(store, camp, 1, ten="}{,|${x}\n")
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: originates(server), timeout=30)
        (command,) = originates(server)
        path = re.search(r"autocall_file=([^,}]+)", command).group(1)
        assert re.fullmatch(re.escape(str(services.audio_dir / "tts")) + r"/[0-9a-f/]+\.wav", path), path
        call = re.search(r"autocall_call=([0-9a-f-]+)", command).group(1)
        assert command == expected(camp, lead.lead_uuid, call, path, "0980000000", camp.call_timeout, engine.engine_id)
    finally:
        engine.stop(drain_timeout=2)
