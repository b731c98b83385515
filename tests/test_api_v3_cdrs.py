"""GET /v3/autocall/cdr and /v3/autocall/cdr.csv: fields, local-time ranges, cursor paging, the CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

import pytest

from dialer.domain.cdr import RetryRecord
from dialer.domain.window import zone
from dialer.service import cdrs
from dialer.store.records import Finish
from tests.factories import call_record, campaign, leads

TZ = zone("Asia/Ho_Chi_Minh")
FMT = "%Y-%m-%d %H:%M:%S"
CDR = "/v3/autocall/cdr"
CSV = "/v3/autocall/cdr.csv"
SEED_UUID = "0b0e7a52-1111-2222-3333-eeeeeeeeeeee"


def local_ms(when: str, tz=TZ) -> int:
    return int(datetime.strptime(when, FMT).replace(tzinfo=tz).timestamp() * 1000)


def attempt(
    store,
    camp,
    when: str,
    *,
    extra_ms: int = 0,
    key: str = "answered",
    status: str = "answered",
    duration: int = 30,
    billsec: int = 20,
    reported: bool = True,
    tz=TZ,
    **cdr_fields,
) -> str:
    """One finished attempt that ended at local time ``when`` (+ ``extra_ms``); returns its call uuid."""
    end_ms = local_ms(when, tz) + extra_ms
    (lead,) = leads(store, camp, 1, now_ms=end_ms - 120_000)
    (c,) = store.calls.claim(camp.campaign_uuid, 1, "fs1", end_ms - 120_000, 600_000, [str(uuid.uuid4())])[0]
    if not reported:  # FreeSWITCH refused the originate: retried, never a CDR
        retry = RetryRecord(hangup_cause="DESTINATION_OUT_OF_ORDER", end_ms=end_ms)
        store.calls.finish(
            [
                Finish(
                    camp.campaign_uuid,
                    lead.lead_uuid,
                    c.call_uuid,
                    c.network,
                    end_ms,
                    datetime.fromtimestamp(end_ms / 1000, tz).strftime("%Y%m%d%H"),
                    retry,
                    {"attempts": 0},
                    reported=False,
                    requeue="fresh",
                    due_ms=end_ms + 1000,
                )
            ],
            end_ms,
        )
        return c.call_uuid
    start_ms = end_ms - duration * 1000
    answer_ms = end_ms - billsec * 1000 if billsec else 0
    cdr = call_record(
        **{
            "campaign": camp.campaign_uuid,
            "lead": lead.lead_uuid,
            "external_id": lead.external_id,
            "attempt": 1,
            "numbers": lead.numbers,
            "legs": [c.call_uuid],
            "network": c.network,
            "answered_number": lead.numbers[0] if billsec else "",
            "node": "fs1",
            "start_ms": start_ms,
            "answer_ms": answer_ms,
            "end_ms": end_ms,
            "duration": duration,
            "billsec": billsec,
            "waitsec": duration - billsec,
            "hangup_cause": "NORMAL_CLEARING",
            "sip_status": "200",
            "job_result": "+OK",
            "recall_status": status,
            "report_key": key,
            "reason": "",
            "dtmf": "",
            "recall_at_ms": 0,
            **cdr_fields,
        }
    )
    stats = {
        "total_calls": 1,
        "total_duration": duration,
        "total_billsec": billsec,
        "total_waitsec": duration - billsec,
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
                datetime.fromtimestamp(end_ms / 1000, tz).strftime("%Y%m%d%H"),
                cdr,
                {"attempts": 1},
                stats=stats,
            )
        ],
        end_ms,
    )
    return c.call_uuid


def q(camp, **params) -> str:
    return "&".join(f"{k}={v}" for k, v in {"campaign_uuid": camp.campaign_uuid, **params}.items())


def walk(api, camp, after: str | None = None, **params) -> list[dict]:
    """Every CDR (after ``after``), following ``next``."""
    out, pages = [], 0
    while True:
        res = api("GET", CDR, query_string=q(camp, **params, **({"after": after} if after else {})))
        assert res.status_code == 200, res.json
        out += res.json["data"]
        after, pages = res.json["next"], pages + 1
        assert pages < 100
        if after is None:
            return out


@pytest.fixture
def camp(store):
    return campaign(store, campaign_uuid=SEED_UUID, created_at=datetime(2021, 12, 1, tzinfo=TZ))


# -- one CDR ---------------------------------------------------------------------------
def test_a_cdr_shows_every_field_with_local_times(api, store, camp):
    call = attempt(
        store,
        camp,
        "2022-01-01 10:00:30",
        duration=30,
        billsec=20,
        dtmf="1#",
        recall_at_ms=local_ms("2022-01-01 11:00:00"),
        recall_status="voicemail",
    )
    res = api("GET", CDR, query_string=q(camp))
    assert res.status_code == 200
    assert set(res.json) == {"data", "limit", "offset", "total", "next"}
    assert (res.json["limit"], res.json["offset"], res.json["total"], res.json["next"]) == (100, 0, 1, None)
    (cdr,) = res.json["data"]
    lead = store.leads.get(cdr["lead_uuid"])
    assert list(cdr) == list(cdrs.FIELDS)
    assert cdr["call_id"] == call and cdr["campaign_uuid"] == SEED_UUID
    assert cdr["external_id"] == lead["external_id"] and cdr["attempt"] == 1
    assert cdr["phone_numbers"] == [cdr["answered_number"]] and cdr["network"] == "viettel"
    assert (cdr["start"], cdr["answer"], cdr["end"]) == (
        "2022-01-01 10:00:00",
        "2022-01-01 10:00:10",
        "2022-01-01 10:00:30",
    )
    assert cdr["end_ms"] == local_ms("2022-01-01 10:00:30") and cdr["start_ms"] == cdr["end_ms"] - 30_000
    assert (cdr["duration"], cdr["billsec"], cdr["waitsec"]) == (30, 20, 10)
    assert (cdr["hangup_cause"], cdr["sip_status"], cdr["status"], cdr["recall_status"]) == (
        "NORMAL_CLEARING",
        "200",
        "answered",
        "voicemail",
    )
    assert (cdr["dtmf"], cdr["recall_at"]) == ("1#", "2022-01-01 11:00:00")


def test_an_unanswered_cdr_has_no_answer_time_nor_recall(api, store, camp):
    attempt(store, camp, "2022-01-01 10:00:30", key="busy", status="busy", duration=5, billsec=0)
    (cdr,) = api("GET", CDR, query_string=q(camp)).json["data"]
    assert (cdr["answer"], cdr["answer_ms"], cdr["answered_number"], cdr["recall_at"]) == ("", 0, "", "")
    assert cdr["status"] == "busy"


def test_attempts_that_were_never_reported_are_not_cdrs(api, store, camp):
    shown = attempt(store, camp, "2022-01-01 10:00:00")
    attempt(store, camp, "2022-01-01 10:00:01", reported=False)
    res = api("GET", CDR, query_string=q(camp))
    assert [c["call_id"] for c in res.json["data"]] == [shown] and res.json["total"] == 1


# -- ranges ----------------------------------------------------------------------------
@pytest.fixture
def day(store, camp):
    """CDRs on 2022-01-01, local time, around the edges of 10:00-12:00."""
    for when in (
        "2022-01-01 09:59:59",
        "2022-01-01 10:00:00",
        "2022-01-01 10:30:10",
        "2022-01-01 11:59:59",
        "2022-01-01 12:00:00",
        "2022-01-01 12:00:01",
        "2022-01-02 00:00:00",
    ):
        attempt(store, camp, when)
    attempt(store, camp, "2022-01-01 11:00:00", reported=False)
    return camp


def test_the_range_is_local_time_start_and_end_inclusive_to_the_second(api, day):
    res = api("GET", CDR, query_string=q(day, start_date="2022-01-01 10:00:00", end_date="2022-01-01 12:00:00"))
    assert [c["end"] for c in res.json["data"]] == [
        "2022-01-01 10:00:00",
        "2022-01-01 10:30:10",
        "2022-01-01 11:59:59",
        "2022-01-01 12:00:00",
    ]
    assert res.json["total"] == 4


def test_a_bare_date_is_the_whole_day_and_no_dates_is_everything(api, day):
    assert api("GET", CDR, query_string=q(day, start_date="2022-01-01", end_date="2022-01-01")).json["total"] == 6
    assert api("GET", CDR, query_string=q(day)).json["total"] == 7
    assert api("GET", CDR, query_string=q(day, start_date="2022-01-01 12:00:01")).json["total"] == 2
    assert api("GET", CDR, query_string=q(day, end_date="2022-01-01 09:59:59")).json["total"] == 1


def test_total_agrees_with_the_report_over_any_range(api, day):
    for start, end in (
        ("2022-01-01 10:00:00", "2022-01-01 12:00:00"),
        ("2022-01-01 10:15:00", "2022-01-01 11:59:58"),
        ("2021-12-31 00:00:00", "2022-01-03 00:00:00"),
        ("2022-01-01 10:30:10", "2022-01-01 10:30:10"),
    ):
        rng = f"start_date={start}&end_date={end}"
        report = api("GET", "/v1/autocall/report", query_string=f"campaign_uuid={SEED_UUID}&{rng}").json
        page = api("GET", CDR, query_string=f"campaign_uuid={SEED_UUID}&{rng}").json
        assert page["total"] == report["data"]["total_calls"] == len(page["data"]), (start, end)


def test_dates_are_read_in_the_campaigns_own_time_zone(api, store):
    utc = campaign(store, time_zone="UTC")
    attempt(store, utc, "2022-01-01 03:00:00", tz=zone("UTC"))
    res = api("GET", CDR, query_string=q(utc, start_date="2022-01-01 03:00:00", end_date="2022-01-01 03:00:00"))
    assert [c["end"] for c in res.json["data"]] == ["2022-01-01 03:00:00"]
    assert api("GET", CDR, query_string=q(utc, end_date="2022-01-01 02:59:59")).json["data"] == []


def test_dates_may_be_iso_8601_with_an_offset_as_in_the_report(api, day):
    res = api(
        "GET", CDR, query_string=q(day, start_date="2022-01-01T03:00:00Z", end_date="2022-01-01T12:00:00%2B07:00")
    )
    assert [c["end"] for c in res.json["data"]] == [
        "2022-01-01 10:00:00",
        "2022-01-01 10:30:10",
        "2022-01-01 11:59:59",
        "2022-01-01 12:00:00",
    ]
    assert res.json["total"] == 4


# -- paging ----------------------------------------------------------------------------
def test_the_cursor_walks_every_cdr_once_in_end_order_even_with_ties(api, store, camp):
    calls = [attempt(store, camp, "2022-01-01 10:00:00", extra_ms=i % 3) for i in range(9)]
    calls += [attempt(store, camp, "2022-01-01 10:05:00"), attempt(store, camp, "2022-01-01 10:05:00", reported=False)]
    seen = walk(api, camp, limit=2)
    expected = sorted((store.r.zscore(store.keys.cdrs(SEED_UUID), c), c) for c in calls[:10])
    assert [c["call_id"] for c in seen] == [c for _, c in expected]


def test_a_page_says_next_only_when_more_follow(api, store, camp):
    for i in range(3):
        attempt(store, camp, f"2022-01-01 10:00:0{i}")
    first = api("GET", CDR, query_string=q(camp, limit=2)).json
    last = first["data"][-1]
    assert first["next"] == f"{last['end_ms']}:{last['call_id']}" and first["total"] == 3
    second = api("GET", CDR, query_string=q(camp, limit=2, after=first["next"])).json
    assert len(second["data"]) == 1 and second["next"] is None and second["total"] == 3
    assert api("GET", CDR, query_string=q(camp, limit=3)).json["next"] is None


def test_a_cursor_whose_cdr_moved_still_continues_after_it(api, store, camp):
    calls = [attempt(store, camp, "2022-01-01 10:00:00", extra_ms=i // 2) for i in range(6)]
    key = store.keys.cdrs(SEED_UUID)
    order = [c for _, c in sorted((store.r.zscore(key, c), c) for c in calls)]
    first = api("GET", CDR, query_string=q(camp, limit=3)).json
    assert [c["call_id"] for c in first["data"]] == order[:3]
    store.r.zrem(key, order[2])  # the cursor's CDR is gone (its twin in the same ms is not)
    assert [c["call_id"] for c in walk(api, camp, first["next"], limit=2)] == order[3:]


def test_a_cdr_ending_meanwhile_does_not_shift_the_next_page(api, store, camp):
    for i in range(4):
        attempt(store, camp, f"2022-01-01 10:00:0{i}")
    first = api("GET", CDR, query_string=q(camp, limit=2)).json
    attempt(store, camp, "2022-01-01 09:00:00")  # before the cursor
    second = api("GET", CDR, query_string=q(camp, limit=2, after=first["next"])).json
    assert [c["end"][-2:] for c in first["data"] + second["data"]] == ["00", "01", "02", "03"]


def test_offset_skips_cdrs(api, store, camp):
    for i in range(5):
        attempt(store, camp, f"2022-01-01 10:00:0{i}")
    attempt(store, camp, "2022-01-01 10:00:01", extra_ms=500, reported=False)
    res = api("GET", CDR, query_string=q(camp, limit=2, offset=2)).json
    assert [c["end"][-2:] for c in res["data"]] == ["02", "03"] and res["offset"] == 2 and res["next"]
    assert api("GET", CDR, query_string=q(camp, offset=5)).json["data"] == []


def test_a_cursor_outside_the_range_starts_at_its_edge_or_finds_nothing(api, day):
    rng = {"start_date": "2022-01-01 10:00:00", "end_date": "2022-01-01 12:00:00"}
    early = api("GET", CDR, query_string=q(day, after="1:x", **rng)).json
    assert len(early["data"]) == 4
    late = api("GET", CDR, query_string=q(day, after=f"{local_ms('2022-01-02 00:00:00')}:x", **rng)).json
    assert late["data"] == [] and late["next"] is None


# -- refusals --------------------------------------------------------------------------
def test_unknown_or_malformed_campaign_is_not_found(api):
    for camp_uuid in (SEED_UUID, "avavavav-1111-2222-3333-eeeeeeee"):
        for path in (CDR, CSV):
            res = api("GET", path, query_string=f"campaign_uuid={camp_uuid}")
            assert res.status_code == 404 and res.json == {"error": "campaign is not found"}


def test_missing_campaign_uuid_is_a_root_error(api):
    for path in (CDR, CSV):
        res = api("GET", path)
        assert res.status_code == 400 and res.json == {"error": [{"(root)": "campaign_uuid is required"}]}


def test_bad_dates_cursor_and_limits_name_their_field(api, camp):
    res = api("GET", CDR, query_string=q(camp, start_date="01/01/2022", end_date="2022-13-01 00:00:00"))
    assert res.status_code == 400 and res.json == {
        "error": [
            {"start_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"},
            {"end_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"},
        ]
    }
    res = api("GET", CDR, query_string=q(camp, start_date="2022-01-02", end_date="2022-01-01 00:00:00"))
    assert res.json == {"error": [{"end_date": "end_date is before start_date"}]}
    res = api("GET", CDR, query_string=q(camp, after="abc"))
    assert res.status_code == 400 and list(res.json["error"][0]) == ["after"]
    res = api("GET", CDR, query_string=q(camp, limit=1001, offset=-1))
    assert res.json == {
        "error": [{"limit": "Must be less than or equal to 1000"}, {"offset": "Must be greater than or equal to 0"}]
    }
    res = api("GET", CSV, query_string=q(camp, end_date="yesterday"))
    assert res.status_code == 400 and res.json == {
        "error": [{"end_date": "Does not match format 'YYYY-MM-DD HH:MM:SS'"}]
    }


def test_cdrs_need_the_bearer_token(api, camp):
    assert api("GET", CDR, query_string=q(camp), auth=False).status_code == 401
    assert api("GET", CSV, query_string=q(camp), auth=False).status_code == 401


# -- CSV -------------------------------------------------------------------------------
def test_the_csv_has_a_bom_a_header_and_one_row_per_cdr(api, store, camp):
    attempt(store, camp, "2022-01-01 10:00:00", external_id="Nguyễn Văn Ánh", dtmf="=HYPERLINK(1)")
    attempt(store, camp, "2022-01-01 10:00:01", reported=False)
    attempt(store, camp, "2022-01-01 10:00:02", key="busy", status="busy", billsec=0)
    res = api("GET", CSV, query_string=q(camp))
    assert res.status_code == 200 and res.headers["content-type"] == "text/csv; charset=utf-8"
    assert res.headers["content-disposition"] == f'attachment; filename="cdr-{SEED_UUID}.csv"'
    assert res.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert list(rows[0]) == list(cdrs.FIELDS) and len(rows) == 2
    assert rows[0]["external_id"] == "Nguyễn Văn Ánh" and rows[0]["end"] == "2022-01-01 10:00:00"
    assert rows[0]["dtmf"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert rows[1]["status"] == "busy" and rows[1]["answer"] == ""
    page = api("GET", CDR, query_string=q(camp)).json["data"]
    assert [r["call_id"] for r in rows] == [c["call_id"] for c in page]
    assert rows[0]["phone_numbers"] == " ".join(page[0]["phone_numbers"])


def test_the_csv_honours_the_range_and_may_go_without_a_bom(api, day):
    res = api(
        "GET", CSV, query_string=q(day, start_date="2022-01-01 10:00:00", end_date="2022-01-01 12:00:00", bom="false")
    )
    assert not res.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(res.content.decode())))
    assert [r["end"] for r in rows] == [
        "2022-01-01 10:00:00",
        "2022-01-01 10:30:10",
        "2022-01-01 11:59:59",
        "2022-01-01 12:00:00",
    ]


def test_an_empty_range_is_a_header_only_csv(api, camp):
    res = api("GET", CSV, query_string=q(camp))
    assert res.content.decode("utf-8-sig") == ",".join(cdrs.FIELDS) + "\r\n"


def test_the_csv_is_streamed_a_batch_at_a_time(services, store, camp, monkeypatch):
    monkeypatch.setattr(cdrs, "EXPORT_BATCH", 3)
    for i in range(7):
        attempt(store, camp, f"2022-01-01 10:00:0{i}")
    reads = []
    original = store.r.pipeline

    def counting(*args, **kwargs):
        reads.append(1)
        return original(*args, **kwargs)

    stream = cdrs.export_csv(services, SEED_UUID)
    monkeypatch.setattr(store.r, "pipeline", counting)
    chunks = [next(stream)]  # the header: nothing read yet
    assert reads == [] and chunks[0].decode("utf-8-sig").startswith("call_id,")
    chunks += list(stream)
    assert [c.count(b"\r\n") for c in chunks] == [1, 3, 3, 1]
    assert len(reads) >= 3  # the CDRs were read batch by batch, as the chunks went out


def test_an_attempt_no_gateway_could_take_shows_its_phone_numbers(api, store, services, simswitch):
    """INVALID_GATEWAY (the carrier has no gateway for the number's network) fails the attempt before any
    originate is built: its CDR still names the number it was for (it used to be empty)."""
    from dialer.domain.models import Carrier
    from simswitch import Scenario
    from tests.engine_fixtures import audio_campaign, make_engine, wait_until

    engine = make_engine(store, simswitch(Scenario(rules=[])), services.audio_dir)
    try:
        carrier = Carrier(carrier_name="vina only", gateways={"vina": "gw-vina"})
        store.catalog.carriers.put(carrier)
        camp = audio_campaign(store, carrier_uuid=carrier.carrier_uuid)
        (lead,) = leads(store, camp, 1)  # a Viettel number
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: api("GET", CDR, query_string=q(camp)).json["total"] == 1)
    finally:
        engine.stop(drain_timeout=5)
    (cdr,) = api("GET", CDR, query_string=q(camp)).json["data"]
    assert (cdr["hangup_cause"], cdr["status"], cdr["network"]) == ("INVALID_GATEWAY", "failed", "viettel")
    assert cdr["phone_numbers"] == lead.numbers and cdr["answered_number"] == ""
