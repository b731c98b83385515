"""The engine dials an autodialer campaign on a real FreeSWITCH (issue 19, docs/autodialer.md "The engine").

One FreeSWITCH with freeswitch-conf installed, whose mod_xml_curl asks autocall's own API
(``POST /freeswitch/config``) for the campaign's queue; two agents, users 1001 and 1002 registered with
SIPp (answer after 1 s, hang up 3 s later). autocall's API creates the agents and the campaign; the
engine pushes the agents, their tiers and the queue into mod_callcenter (``callcenter_config``), hears
``callcenter::info`` through its filters, paces for the free agents and originates the leads into the
autodialer dialplan (``0979…``: the far end answers after 1 s and stays on the line).
"""

from __future__ import annotations

import pytest

from dialer.domain.models import Template
from dialer.engine.engine import Engine
from dialer.esl.node import NodeConfig
from dialer.media import MessageFiles
from tests.engine_fixtures import wait_until, write_wav
from tests.realfs.sipagents import SipAgent, sipp_binary

SECRET = "realfs-autodialer-secret"
AGENTS = ("1001", "1002")
LEADS = 4


@pytest.fixture
def dialler(realfs_factory, store, services, api, tmp_path):
    if sipp_binary() is None:
        pytest.skip("sipp not found (Debian: apt-get install sip-tester): no SIP phones for the agents")
    services.cdr_secret = SECRET  # FreeSWITCH's mod_xml_curl authenticates as its CDRs do
    fs = realfs_factory(
        config_url=f"http://127.0.0.1:{api.port}/freeswitch/config", extra_env={"AUTOCALL_FS_CDR_SECRET": SECRET}
    )
    password = fs.api("global_getvar default_password").strip()
    phones = []
    engine = None
    try:
        for user in AGENTS:
            phone = SipAgent(fs.host, fs.sip_ports["internal"], user, password, tmp_path / "sipp")
            phones.append(phone)
            phone.register()
            phone.phone("answer_bye")
        write_wav(services.audio_dir / "xin-loi.wav")
        node = NodeConfig("fs1", fs.host, fs.port, fs.password, sps=10, max_sessions=100)
        engine = Engine(
            store,
            [node],
            MessageFiles(services.audio_dir),
            default_gateway="autocall-viettel",
            default_caller_id="0900000000",
            autodialer_max_wait_s=5,
        )
        engine.start()
        assert engine.wait_connected(10)
        yield fs, engine
    finally:
        if engine is not None:
            engine.stop(drain_timeout=10)
        for phone in phones:
            phone.close()


def test_an_autodialer_campaign_on_a_real_freeswitch_connects_its_leads_to_sip_agents(store, api, dialler):
    fs, engine = dialler
    for user in AGENTS:
        body = {"extension": user, "groups": ["sales"], "wrap_up_time": 1}
        uuid = api("POST", "/v3/agent", json=body).json["agent_uuid"]
        assert api("POST", f"/v3/agent/{uuid}/login", json={}).status_code == 200
    template = Template(template_name="xin-loi", audio_file="xin-loi.wav")
    store.catalog.templates.put(template)
    body = {"campaign_name": "realfs", "type": "autodialer", "template_uuid": template.template_uuid}
    camp = api("POST", "/v3/campaign", json={**body, "groups": ["sales"], "concurrent_call": 10}).json
    campaign_uuid = camp["campaign_uuid"]
    queue = store.campaigns.get(campaign_uuid).call_center_queue_uuid
    leads = [
        api(
            "POST",
            "/v3/autocall/import",
            json={"campaign_uuid": campaign_uuid, "phone_number": f"097900000{n}", "param": {}},
        ).json["lead_uuid"]
        for n in range(1, LEADS + 1)
    ]
    assert api("POST", f"/v1/campaign/{campaign_uuid}/run/start", json={}).status_code == 200
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in leads), timeout=120)

    cdrs = api("GET", f"/v3/autocall/cdr?campaign_uuid={campaign_uuid}").json["data"]
    assert len(cdrs) == LEADS and {c["agent"] for c in cdrs} == set(AGENTS)  # every lead talked to an agent
    assert not any(c["abandoned"] for c in cdrs)
    agents = fs.api("callcenter_config agent list").splitlines()
    for user in AGENTS:
        (row,) = [line.split("|") for line in agents if line.startswith(f"{user}@autocall|")]
        assert row[4] == f"[leg_timeout=5]user/{user}" and row[5] == "Available"
        assert row[8:12] == ["1", "30", "30", "30"]  # wrap_up_time, reject, busy, no-answer delays
    tiers = fs.api("callcenter_config tier list")
    assert all(f"{queue}|{user}@autocall|" in tiers for user in AGENTS)
    live = engine.autodialer.state.agents
    assert {name: live[name].status for name in ("1001@autocall", "1002@autocall")} == {
        "1001@autocall": "Available",
        "1002@autocall": "Available",
    }
