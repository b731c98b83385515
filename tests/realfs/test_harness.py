"""The harness itself: a private FreeSWITCH with autocall's configuration and a far end."""

from __future__ import annotations

import uuid

import pytest

from tests.realfs.fsharness import GATEWAYS


def test_freeswitch_is_up_with_autocall_config(realfs):
    status = realfs.api("status")
    assert "FreeSWITCH (Version 1.10" in status
    assert " is ready\n" in status
    assert "out of max 60," in status  # sessions-per-second from switch.conf.xml
    assert "2000 session(s) max" in status
    assert realfs.api("fsctl sps") == "+OK sessions per second: 60\n"
    assert realfs.api("module_exists mod_avmd") == "true"
    context = realfs.api("xml_locate dialplan context name autocall")
    assert context.startswith('<context name="autocall">')
    assert '<extension name="autocall">' in context
    assert realfs.api("xml_locate dialplan context name farend").startswith('<context name="farend">')
    assert realfs.esl_url == f"esl://:{realfs.password}@127.0.0.1:{realfs.port}"
    for gateway in GATEWAYS:
        assert f"sip:autocall@{realfs.farend_proxy}" in realfs.api(f"sofia status gateway {gateway}")


def test_heartbeat_every_second(realfs):
    with realfs.connect("HEARTBEAT") as esl:
        first = esl.wait_event(lambda e: e.get("Event-Name") == "HEARTBEAT", timeout=3)
        second = esl.wait_event(lambda e: e.get("Event-Name") == "HEARTBEAT", timeout=3)
    gap = (int(second["Event-Date-Timestamp"]) - int(first["Event-Date-Timestamp"])) / 1e6
    assert 0.5 < gap < 1.5
    assert first["Session-Per-Sec"] == "60"
    assert first["Max-Sessions"] == "2000"


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_busy_number_through_every_gateway(realfs, gateway):
    with realfs.connect("BACKGROUND_JOB") as esl:
        job = esl.bgapi(
            f"originate {{originate_timeout=10,ignore_early_media=true}}sofia/gateway/{gateway}/0981000001 &park()"
        )
        assert esl.wait_job(job, timeout=15) == "-ERR USER_BUSY\n"


@pytest.mark.parametrize(
    ("number", "timeout", "result"),
    [
        ("0982000001", 10, "-ERR UNALLOCATED_NUMBER\n"),  # 404
        ("0983000001", 2, "-ERR NO_ANSWER\n"),  # rings until originate_timeout
        ("0984000001", 10, "-ERR NO_USER_RESPONSE\n"),  # 480
        ("0985000001", 10, "-ERR NORMAL_TEMPORARY_FAILURE\n"),  # 503
    ],
)
def test_far_end_refusals(realfs, number, timeout, result):
    with realfs.connect("BACKGROUND_JOB") as esl:
        job = esl.bgapi(
            f"originate {{originate_timeout={timeout},ignore_early_media=true}}"
            f"sofia/gateway/autocall-mobi/{number} &park()"
        )
        assert esl.wait_job(job, timeout=timeout + 10) == result


def test_answered_call_runs_the_autocall_context(realfs):
    leg = str(uuid.uuid4())
    with realfs.connect("CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB") as esl:
        job = esl.bgapi(
            "originate {originate_timeout=10,ignore_early_media=true,autocall_file=silence_stream://1000,"
            f"autocall_avmd=false}}[origination_uuid={leg}]sofia/gateway/autocall-viettel/0980000001 "
            "autocall XML autocall"
        )
        assert esl.wait_job(job, timeout=15) == f"+OK {leg}\n"
        answer = esl.wait_event(lambda e: e.get("Event-Name") == "CHANNEL_ANSWER" and e.get("Unique-ID") == leg, 5)
        assert answer["Call-Direction"] == "outbound"
        done = esl.wait_event(
            lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == leg, timeout=15
        )
    assert done["Hangup-Cause"] == "NORMAL_CLEARING"
    assert done["variable_sip_hangup_disposition"] == "send_bye"  # our dialplan hung up, not the far end
    assert done["variable_last_app"] == "hangup"


def test_stock_config_restart_and_kill9(realfs_factory):
    fs = realfs_factory(autocall_context=False, avmd=False)
    assert fs.api("xml_locate dialplan context name autocall") == "can't find anything\n"
    assert fs.api("module_exists mod_avmd") == "false"
    first = fs.core_uuid
    fs.kill9()
    assert not fs.running
    fs.start()
    second = fs.core_uuid
    assert second != first
    assert fs.api("status").startswith("UP 0 years, 0 days, 0 hours, 0 minutes, ")
    assert fs.stop() == 0
    assert not fs.running
