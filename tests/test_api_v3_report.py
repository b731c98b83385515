"""GET /v1/autocall/report: the seed's example and shape, local-time ranges, errors."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from dialer.domain.window import zone
from dialer.store.records import Finish
from tests.factories import call_record, campaign, leads
from tests.seed_examples import examples

EX = examples("001_1839b865664e4e5a.txt")["Báo cáo chiến dịch autocall"]
SEED_UUID = "0b0e7a52-1111-2222-3333-eeeeeeeeeeee"
TZ = zone("Asia/Ho_Chi_Minh")


def attempt(store, camp, when: str, key: str, status: str, duration: int, billsec: int) -> None:
    """One finished, reported attempt that ended at local time ``when``."""
    end = datetime.strptime(when, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
    end_ms = int(end.timestamp() * 1000)
    (lead,) = leads(store, camp, 1, now_ms=end_ms - 60_000)
    (c,) = store.calls.claim(camp.campaign_uuid, 1, "fs1", end_ms - 60_000, 600_000, [str(uuid.uuid4())])[0]
    waitsec = duration - billsec
    cdr = call_record(report_key=key, recall_status=status, duration=duration, billsec=billsec, waitsec=waitsec)
    stats = {
        "total_calls": 1,
        "total_duration": duration,
        "total_billsec": billsec,
        "total_waitsec": waitsec,
        key: 1,
        f"rs:{status}": 1,
    }
    store.calls.finish(
        [
            Finish(
                camp.campaign_uuid,
                lead.lead_uuid,
                c.call_uuid,
                c.network,
                end_ms,
                end.strftime("%Y%m%d%H"),
                cdr,
                {"attempts": 1},
                stats=stats,
            )
        ],
        end_ms,
    )


@pytest.fixture
def seed_campaign(store):
    camp = campaign(store, campaign_uuid=SEED_UUID, created_at=datetime(2021, 12, 1, tzinfo=TZ))
    for when, billsec in (("2022-01-01 10:00:00", 3), ("2022-01-01 10:30:10", 3), ("2022-01-01 11:59:59", 4)):
        attempt(store, camp, when, "answered", "answered", 10 + billsec, billsec)
    attempt(store, camp, "2022-01-01 11:00:00", "busy", "busy", 3, 0)
    attempt(store, camp, "2022-01-01 12:00:01", "busy", "busy", 3, 0)  # just outside the seed's range
    attempt(store, camp, "2022-01-01 09:59:59", "busy", "busy", 3, 0)  # just before it
    return camp


def test_seed_example_answers_the_seed_shape_and_figures(api, seed_campaign):
    res = api("GET", EX.path, query_string=EX.query.replace("avavavav-1111-2222-3333-eeeeeeee", SEED_UUID))
    assert res.status_code == 200
    seed = EX.responses[0]
    assert list(res.json) == list(seed) and list(res.json["data"]["status"]) == list(seed["data"]["status"])
    assert set(seed["data"]) <= set(res.json["data"])
    data = res.json["data"]
    assert data["status"] == {"answered": 3, "busy": 1, "not_available": 0, "no_answer": 0, "cancel": 0, "failed": 0}
    totals = (data["total_calls"], data["total_duration"], data["total_billsec"], data["total_waitsec"])
    assert totals == (4, 43, 10, 33)
    assert data["recall_status"]["answered"] == 3 and data["recall_status"]["busy"] == 1


def test_seed_campaign_uuid_that_is_no_uuid_answers_the_seed_error(api):
    res = api("GET", EX.path, query_string=EX.query)
    assert res.status_code == 404 and res.json == EX.errors[0]


def test_unknown_campaign_answers_campaign_is_not_found(api):
    res = api("GET", "/v1/autocall/report", query_string=f"campaign_uuid={SEED_UUID}")
    assert res.json == {"error": "campaign is not found"}


def test_without_dates_the_report_covers_the_whole_campaign(api, seed_campaign):
    res = api("GET", "/v1/autocall/report", query_string=f"campaign_uuid={SEED_UUID}")
    assert res.json["data"]["total_calls"] == 6 and res.json["data"]["status"]["busy"] == 3


def test_whole_days_may_be_given_as_dates(api, seed_campaign):
    q = f"campaign_uuid={SEED_UUID}&start_date=2022-01-01&end_date=2022-01-01"
    assert api("GET", "/v1/autocall/report", query_string=q).json["data"]["total_calls"] == 6


def test_a_range_across_whole_hours_matches_the_cdrs(api, seed_campaign):
    q = f"campaign_uuid={SEED_UUID}&start_date=2021-12-31 00:00:00&end_date=2022-01-02 23:59:59"
    assert api("GET", "/v1/autocall/report", query_string=q).json["data"]["total_calls"] == 6


def test_missing_campaign_uuid_is_a_root_error(api):
    res = api("GET", "/v1/autocall/report")
    assert res.status_code == 400 and res.json == {"error": [{"(root)": "campaign_uuid is required"}]}


def test_bad_dates_name_their_field(api, seed_campaign):
    q = f"campaign_uuid={SEED_UUID}&start_date=01/01/2022&end_date=2022-13-01 00:00:00"
    assert api("GET", "/v1/autocall/report", query_string=q).json == {
        "error": [
            {"start_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"},
            {"end_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"},
        ]
    }


def test_an_end_before_the_start_is_refused(api, seed_campaign):
    q = f"campaign_uuid={SEED_UUID}&start_date=2022-01-02 00:00:00&end_date=2022-01-01 00:00:00"
    assert api("GET", "/v1/autocall/report", query_string=q).json == {
        "error": [{"end_date": "end_date is before start_date"}]
    }


def test_a_call_cancelled_while_ringing_is_cancel_in_status_and_in_recall_status(api, store, services, simswitch):
    """Stopping a campaign cancels its ringing calls: the report counts each as ``cancel`` in both its seed
    ``status`` and its ``recall_status`` breakdown (it used to say ``failed`` in the latter)."""
    from simswitch import Scenario
    from tests.engine_fixtures import audio_campaign, make_engine, wait_until

    server = simswitch(Scenario(rules=[{"match": "^098", "no_answer": True}]), time_scale=1.0)
    engine = make_engine(store, server, services.audio_dir)
    path = "/v1/autocall/report"
    try:
        camp = audio_campaign(store, call_timeout=60)
        leads(store, camp, 1)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: len(server.switch.channels) == 1)  # ringing
        assert api("POST", f"/v1/campaign/{camp.campaign_uuid}/run/stop", json={}).status_code == 200
        query = f"campaign_uuid={camp.campaign_uuid}"
        wait_until(lambda: api("GET", path, query_string=query).json["data"]["total_calls"] == 1)
    finally:
        engine.stop(drain_timeout=5)
    data = api("GET", path, query_string=query).json["data"]
    assert data["status"] == {"answered": 0, "busy": 0, "not_available": 0, "no_answer": 0, "cancel": 1, "failed": 0}
    assert data["recall_status"]["cancel"] == 1 and sum(data["recall_status"].values()) == 1


# -- ISO 8601 dates with an offset, and the zone the answer says it used (issue 15) -----------------
REPORT = "/v1/autocall/report"


def report_of(api, start: str, end: str) -> dict:
    res = api("GET", REPORT, query_string=f"campaign_uuid={SEED_UUID}&start_date={start}&end_date={end}")
    assert res.status_code == 200, res.text
    return res.json["data"]


def figures(data: dict) -> tuple:
    return data["status"], data["total_calls"], data["total_duration"], data["recall_status"]


def test_iso_8601_dates_with_the_campaigns_offset_count_what_the_seeds_local_dates_count(api, seed_campaign):
    local = report_of(api, "2022-01-01 10:00:00", "2022-01-01 12:00:00")
    iso = report_of(api, "2022-01-01T10:00:00%2B07:00", "2022-01-01T12:00:00%2B07:00")
    assert figures(iso) == figures(local) and iso["total_calls"] == 4


def test_utc_dates_ending_in_z_are_the_same_instants(api, seed_campaign):
    utc = report_of(api, "2022-01-01T03:00:00Z", "2022-01-01T05:00:00Z")
    assert figures(utc) == figures(report_of(api, "2022-01-01 10:00:00", "2022-01-01 12:00:00"))


def test_an_offset_that_is_not_on_the_campaigns_hours_still_counts_exactly(api, seed_campaign):
    """+05:30: 08:30 there is 10:00 in Ho Chi Minh City. The hourly counters are the campaign's
    local hours; a range read in another zone's hours would count the wrong ones."""
    data = report_of(api, "2022-01-01T08:30:00%2B05:30", "2022-01-01T10:30:00%2B05:30")
    assert data["total_calls"] == 4 and data["status"]["busy"] == 1
    just_inside = report_of(api, "2022-01-01T08:29:59%2B05:30", "2022-01-01T10:30:01%2B05:30")
    assert just_inside["total_calls"] == 6  # 09:59:59 and 12:00:01 local


def test_the_answer_names_the_time_zone_and_the_range_it_counted(api, seed_campaign):
    data = report_of(api, "2022-01-01T03:00:00Z", "2022-01-01T05:00:00Z")
    assert data["time_zone"] == "Asia/Ho_Chi_Minh"
    assert (data["start_date"], data["end_date"]) == ("2022-01-01T10:00:00+07:00", "2022-01-01T12:00:00+07:00")
    local = report_of(api, "2022-01-01", "2022-01-01")  # the seed's format: read in the campaign's zone
    assert (local["start_date"], local["end_date"]) == ("2022-01-01T00:00:00+07:00", "2022-01-01T23:59:59+07:00")


def test_a_plus_sent_unencoded_in_the_query_still_reads_as_the_offset(api, seed_campaign):
    """``?start_date=2022-01-01T10:00:00+07:00`` typed as is: the query decodes ``+`` to a space."""
    data = report_of(api, "2022-01-01T10:00:00%2007:00", "2022-01-01T12:00:00%2007:00")
    assert data["total_calls"] == 4 and data["start_date"] == "2022-01-01T10:00:00+07:00"


def test_fractions_of_a_second_and_compact_offsets_are_read(api, seed_campaign):
    data = report_of(api, "2022-01-01T10:00:00.500000001%2B0700", "2022-01-01T12:00:00.999%2B07")
    assert data["total_calls"] == 3  # 10:00:00.5 is after the call that ended at 10:00:00
    assert data["end_date"] == "2022-01-01T12:00:00+07:00"  # inclusive to the second, as without a fraction


def test_a_malformed_offset_or_date_is_refused_naming_its_field(api, seed_campaign):
    q = f"campaign_uuid={SEED_UUID}&start_date=2022-01-01T10:00:00%2B25:00&end_date=2022-01-01T12:00:00X"
    assert api("GET", REPORT, query_string=q).json == {
        "error": [
            {"start_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"},
            {"end_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"},
        ]
    }
