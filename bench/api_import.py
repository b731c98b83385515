"""HTTP API benchmark: bulk import, single import latency, report over a year.

    .venv/bin/python bench/api_import.py [--rows 100000]

A private ``redis-server`` (free port) and the real API (Falcon app on
gevent.pywsgi with TCP_NODELAY, as ``autocall serve`` runs it) in this
process; the HTTP client runs in a child process so its CPU is not ours.

Figures:
  bulk CSV / JSON  rows, seconds from first byte sent to the answer, rows/s
  baseline         the same leads written by a bare redis-py pipeline
                   (HSET + HSET + 2 ZADD per lead, 2,000 per transaction):
                   the storage floor; ratio = API time / baseline time
  single import    sequential POST /v3/autocall/import on one keep-alive
                   connection: p50 / p99 ms
  report           GET /v1/autocall/report over 365 days (8,760 hourly buckets)
Target (issue 4): 100,000 leads in under 10 s.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dialer.api.app import build_app  # noqa: E402
from dialer.api.server import make_server  # noqa: E402
from dialer.domain.models import Campaign  # noqa: E402
from dialer.service.context import Services  # noqa: E402
from dialer.store.store import Store  # noqa: E402

TOKEN = "bench"

CLIENT = r"""
import http.client, json, sys, time
port, method, path, ctype, body_file = sys.argv[1:6]
repeat = int(sys.argv[6])
body = open(body_file, "rb").read() if body_file != "-" else None
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=600)
times = []
for i in range(repeat):
    b = body.replace(b"@N@", str(i).encode()).replace(b"@P@", b"%07d" % i) if body else None
    t = time.perf_counter()
    conn.request(method, path, body=b, headers={"Authorization": "Bearer bench", "Content-Type": ctype})
    r = conn.getresponse(); data = r.read()
    times.append(time.perf_counter() - t)
    if r.status != 200:
        print(json.dumps({"status": r.status, "body": data[:500].decode()})); sys.exit(1)
print(json.dumps({"times": times, "last": json.loads(data) if len(data) < 100000 else None}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(port: int, method: str, path: str, ctype: str, body: Path | None, repeat: int = 1) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, str(port), method, path, ctype, str(body or "-"), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"client failed: {out.stdout} {out.stderr}")
    return json.loads(out.stdout)


def numbers(n: int) -> list[str]:
    prefixes = ["098", "090", "091", "033", "070", "085"]
    return [f"{prefixes[i % len(prefixes)]}{i:07d}" for i in range(n)]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--singles", type=int, default=1000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="autocall-bench-api-"))
    rport = free_port()
    rproc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(rport),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(work),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        r = redis.Redis(port=rport)
        for _ in range(250):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        store = Store.from_url(f"redis://127.0.0.1:{rport}/0")
        (work / "audio").mkdir()
        port = free_port()
        server = make_server(
            build_app(Services(store, work / "audio", max_import_bytes=256 << 20), [TOKEN]), f"127.0.0.1:{port}"
        )
        server.start()
        nums = numbers(args.rows)
        results = {}
        lag = {"max": 0.0}

        def ticker() -> None:  # what an ESL reader or pacer would feel while imports run
            while True:
                t = time.perf_counter()
                gevent.sleep(0.001)
                lag["max"] = max(lag["max"], time.perf_counter() - t - 0.001)

        tick = gevent.spawn(ticker)

        # bulk CSV
        camp = store.campaigns.create(Campaign(campaign_name="csv"))
        csv_path = work / "leads.csv"
        csv_path.write_text(
            "phone_number,external_id,customer_name,due_amount,due_date\n"
            + "".join(f"{n},kh{i},Nguyễn Văn {i},{10410000 + i},30/01/2021\n" for i, n in enumerate(nums))
        )
        t = client(port, "POST", f"/v3/autocall/import/bulk?campaign_uuid={camp.campaign_uuid}", "text/csv", csv_path)[
            "times"
        ][0]
        assert store.reports.queue_sizes(camp.campaign_uuid)["fresh"] == args.rows
        results["csv"] = t
        results["csv_stall"], lag["max"] = lag["max"], 0.0

        # bulk JSON
        camp = store.campaigns.create(Campaign(campaign_name="json"))
        json_path = work / "leads.json"
        json_path.write_text(
            json.dumps(
                {
                    "campaign_uuid": camp.campaign_uuid,
                    "leads": [
                        {
                            "phone_number": n,
                            "external_id": f"kh{i}",
                            "param": {
                                "customer_name": f"Nguyễn Văn {i}",
                                "due_amount": str(10410000 + i),
                                "due_date": "30/01/2021",
                            },
                        }
                        for i, n in enumerate(nums)
                    ],
                },
                ensure_ascii=False,
            )
        )
        results["json"] = client(port, "POST", "/v3/autocall/import/bulk", "application/json", json_path)["times"][0]
        results["json_stall"] = lag["max"]
        assert store.reports.queue_sizes(camp.campaign_uuid)["fresh"] == args.rows

        # baseline: the same leads straight into Redis
        camp = store.campaigns.create(Campaign(campaign_name="baseline"))
        t0 = time.perf_counter()
        for base in range(0, args.rows, 2000):
            pipe = store.r.pipeline(transaction=True)
            for i in range(base, min(args.rows, base + 2000)):
                lead = f"bench-{i}"
                pipe.hset(
                    f"autocall:lead:{lead}",
                    mapping={
                        "campaign": camp.campaign_uuid,
                        "external_id": f"kh{i}",
                        "numbers": json.dumps([nums[i]]),
                        "networks": '["viettel"]',
                        "fields": "{}",
                        "state": "queued",
                        "attempts": 0,
                        "number_idx": 0,
                        "next_call": lead,
                    },
                )
                pipe.hset(f"autocall:campaign:{camp.campaign_uuid}:external", f"kh{i}", lead)
                pipe.zadd(f"autocall:campaign:{camp.campaign_uuid}:fresh", {lead: 1})
                pipe.zadd(f"autocall:campaign:{camp.campaign_uuid}:leads", {lead: 1})
            pipe.execute()
        results["baseline"] = time.perf_counter() - t0

        tick.kill()
        # single import latency
        camp = store.campaigns.create(Campaign(campaign_name="single"))
        one = work / "one.json"
        # A number per request: a number of a lead with calls pending is a duplicate.
        one.write_text(
            json.dumps({"campaign_uuid": camp.campaign_uuid, "phone_number": "097@P@", "param": {"otp": "@N@"}})
        )
        singles = client(port, "POST", "/v3/autocall/import", "application/json", one, args.singles)["times"]

        # report over a year
        q = f"/v1/autocall/report?campaign_uuid={camp.campaign_uuid}&start_date=2025-11-23%2000:00:00&end_date=2026-11-22%2023:59:59"  # noqa: E501
        store.r.hset(f"autocall:campaign:{camp.campaign_uuid}", "created_at", "2025-01-01T00:00:00+07:00")
        report = client(port, "GET", q, "application/json", None, 5)["times"]
        server.stop()

        rows = args.rows
        print(
            f"bulk CSV   {rows:,} leads  {results['csv']:.2f} s  {rows / results['csv']:,.0f} leads/s  "
            f"target < 10 s: {'PASS' if results['csv'] < 10 else 'MISS'}"
        )
        print(
            f"bulk JSON  {rows:,} leads  {results['json']:.2f} s  {rows / results['json']:,.0f} leads/s  "
            f"target < 10 s: {'PASS' if results['json'] < 10 else 'MISS'}"
        )
        print(
            f"baseline   {rows:,} leads  {results['baseline']:.2f} s (bare redis-py pipeline)  "
            f"ratio CSV/baseline {results['csv'] / results['baseline']:.2f}x, "
            f"JSON/baseline {results['json'] / results['baseline']:.2f}x"
        )
        print(
            f"hub stall  longest gap a 1 ms timer saw: CSV import {results['csv_stall'] * 1000:.0f} ms, "
            f"JSON import {results['json_stall'] * 1000:.0f} ms (json.loads of the whole body is one C call)"
        )
        print(
            f"single     {len(singles):,} imports  p50 {pct(singles, 50) * 1000:.2f} ms  "
            f"p99 {pct(singles, 99) * 1000:.2f} ms"
        )
        print(f"report     365 days  best of 5 {min(report) * 1000:.1f} ms")
    finally:
        rproc.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
