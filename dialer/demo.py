"""``autocall demo``: the real job on the embedded default, end to end.

It starts a private ``redis-server``, ``autocall simswitch`` (the FreeSWITCH
simulator) and ``autocall serve`` (the daemon) as separate processes, creates
the campaign of ``docs/examples/demo-campaign.json`` and its audio template,
imports a few thousand leads (numbers of every Vietnamese network), starts
the campaign, shows live progress read from Redis (in flight, done, per
status, calls/s), lets the recalls run, prints the final report and stops
everything. The simulator's default outcome mix (answer, busy, no answer,
404, 503) gives a realistic spread; its time runs faster than the wall clock.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dialer.domain.models import Campaign, Template
from dialer.store.errors import StoreError
from dialer.store.store import Store

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "demo-campaign.json"
PREFIXES = ["098", "097", "086", "090", "093", "089", "091", "088", "083", "092", "099", "028", "024"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiClient:
    """The demo's HTTP client: what a customer's integration does, with urllib."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{method} {path}: {exc.code} {exc.read().decode()[:500]}") from None

    def wait_up(self, daemon: subprocess.Popen, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if daemon.poll() is not None:
                raise SystemExit("autocall serve exited at start: see its log")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the autocall API did not come up")


def start_redis(workdir: str) -> tuple[subprocess.Popen, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: run scripts/demo (it installs it) or apt-get install redis-server")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    store = Store.from_url(f"redis://127.0.0.1:{port}/0")
    for _ in range(250):
        try:
            store.health.ping()
            return proc, port
        except StoreError:  # not up yet (refused, still loading)
            time.sleep(0.02)
    proc.kill()
    raise SystemExit("redis-server did not start")


def write_message(path: Path, seconds: float = 4.0, rate: int = 8000) -> None:
    """A real 8 kHz mono PCM WAV FreeSWITCH can play: a short two-tone chime."""
    import math

    frames = bytearray()
    for i in range(int(seconds * rate)):
        f = 660 if (i // (rate // 2)) % 2 == 0 else 880
        frames += int(6000 * math.sin(2 * math.pi * f * i / rate)).to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def demo_numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        prefix = rng.choice(PREFIXES)
        digits = 8 if prefix.startswith("02") else 7
        out.append(prefix + "".join(rng.choice("0123456789") for _ in range(digits)))
    return out


def run_demo(calls: int = 3000, time_scale: float = 0.01, seed: int = 7, sps: int = 400) -> int:
    workdir = tempfile.mkdtemp(prefix="autocall-demo-")
    procs: list[subprocess.Popen] = []
    try:
        redis_proc, redis_port = start_redis(workdir)
        procs.append(redis_proc)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        password = uuid.uuid4().hex  # never the stock ClueCon, even in a demo
        esl_port = _free_port()
        stats = Path(workdir) / "simswitch-stats.json"
        me = [sys.executable, "-m", "dialer.cli"]
        api_listen = f"127.0.0.1:{_free_port()}"
        cdr_secret = uuid.uuid4().hex  # FreeSWITCH's CDRs (mod_json_cdr) to autocall, as freeswitch-conf ships it
        sim_log = open(Path(workdir) / "simswitch.log", "w")  # lives as long as the process
        procs.append(
            subprocess.Popen(
                [
                    *me,
                    "simswitch",
                    "--listen",
                    f"127.0.0.1:{esl_port}",
                    "--password",
                    password,
                    "--time-scale",
                    str(time_scale),
                    "--seed",
                    str(seed),
                    "--sps",
                    str(sps),
                    "--max-sessions",
                    "1000",
                    "--heartbeat",
                    "2",
                    "--stats-file",
                    str(stats),
                    "--hostname",
                    "simswitch",
                    "--cdr-url",
                    f"http://{api_listen}/freeswitch/cdr",
                    "--cdr-log-dir",
                    str(Path(workdir) / "freeswitch-log"),
                ],
                env={**os.environ, "AUTOCALL_FS_CDR_SECRET": cdr_secret},
                stdout=subprocess.DEVNULL,
                stderr=sim_log,
            )
        )
        audio = Path(workdir) / "audio"
        audio.mkdir()
        write_message(audio / "nhac-no.wav")
        env = {
            **os.environ,
            "AUTOCALL_REDIS_URL": redis_url,
            "AUTOCALL_AUDIO_DIR": str(audio),
            "AUTOCALL_FREESWITCH": f"esl://:{password}@127.0.0.1:{esl_port}?name=simswitch&sps={sps}",
            "AUTOCALL_DEFAULT_GATEWAY": "demo",
            "AUTOCALL_DEFAULT_CALLER_ID": "02873001234",
            "AUTOCALL_LOG_LEVEL": "WARNING",
            "AUTOCALL_API_TOKENS": "demo",
            "AUTOCALL_LISTEN": api_listen,
            "AUTOCALL_CDR_SECRET": cdr_secret,
        }
        daemon_log = Path(workdir) / "autocall.log"
        daemon = subprocess.Popen([*me, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=open(daemon_log, "w"))
        procs.append(daemon)

        store = Store.from_url(redis_url)
        api = ApiClient(f"http://{env['AUTOCALL_LISTEN']}", env["AUTOCALL_API_TOKENS"])
        api.wait_up(daemon)
        template = Template(template_name="nhac_no_01", audio_file="nhac-no.wav")
        store.catalog.templates.put(template)
        spec = json.loads(EXAMPLE.read_text())
        # Everything else goes through the HTTP API, as a customer's integration would.
        cid = api.call("POST", "/v3/campaign", {**spec, "template_uuid": template.template_uuid})["campaign_uuid"]
        rows = "".join(f"{raw},KH{i:05d},Khách hàng {i}\n" for i, raw in enumerate(demo_numbers(calls, seed)))
        imported = api.call(
            "POST",
            f"/v3/autocall/import/bulk?campaign_uuid={cid}",
            ("phone_number,external_id,ten\n" + rows).encode(),
            "text/csv",
        )
        campaign = store.campaigns.get(cid)
        assert campaign is not None and imported["imported"] == calls, imported
        print(
            f"redis-server :{redis_port} · autocall simswitch :{esl_port} (FreeSWITCH 1.10.12 simulator, "
            f"time x{1 / time_scale:.0f}, sps {sps}) · autocall serve (pid {daemon.pid})"
        )
        print(
            f"campaign {campaign.campaign_name!r} ({cid}): {calls} leads, concurrent_call "
            f"{campaign.concurrent_call}, viettel cap {campaign.network.viettel}, recall_times "
            f"{campaign.recall_times} ({campaign.schedule_recall.value})\n"
        )
        print(
            f"API http://{env['AUTOCALL_LISTEN']} (token {env['AUTOCALL_API_TOKENS']!r}): POST /v3/campaign, "
            f"POST /v3/autocall/import/bulk ({imported['imported']} rows), POST /v1/campaign/{cid}/run/start\n"
        )
        started = time.time()
        api.call("POST", f"/v1/campaign/{cid}/run/start", {})
        rc = _watch(store, campaign, started, daemon)
        _final(store, campaign, started, stats, api)
        return rc
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def _report(store: Store, campaign: Campaign, started: float) -> dict[str, int]:
    start, end = datetime.fromtimestamp(started - 3600, UTC), datetime.now(UTC) + timedelta(hours=1)
    return store.reports.report(campaign, start, end)


def _watch(store: Store, campaign: Campaign, started: float, daemon: subprocess.Popen) -> int:
    cid = campaign.campaign_uuid
    last_done, last_t = 0, started
    deadline = started + 600
    tty = sys.stdout.isatty()
    while time.time() < deadline:
        time.sleep(0.5)
        if daemon.poll() is not None:
            print("\nautocall serve exited unexpectedly", file=sys.stderr)
            return 1
        q = store.reports.queue_sizes(cid)
        totals = _report(store, campaign, started)
        done = totals["total_calls"]
        now = time.time()
        rate = (done - last_done) / (now - last_t)
        last_done, last_t = done, now
        by = " ".join(f"{k} {totals[k]}" for k in ("answered", "busy", "no_answer", "not_available", "failed"))
        line = (
            f"  in flight {q['in_flight']:4d} · fresh {q['fresh']:5d} · hopper {q['hopper']:4d} · recalls "
            f"{q['recalls']:4d} · done {done:5d} ({by}) · {rate:6.0f} calls/s   "
        )
        print("\r" + line if tty else line, end="" if tty else "\n", flush=True)
        if q["in_flight"] == 0 and q["fresh"] + q["hopper"] + q["recalls"] == 0:
            print()
            return 0
    print("\ndemo timed out", file=sys.stderr)
    return 1


def _final(store: Store, campaign: Campaign, started: float, stats: Path, api: ApiClient) -> None:
    report = api.call("GET", f"/v1/autocall/report?campaign_uuid={campaign.campaign_uuid}")["data"]
    took = time.time() - started
    print(f"\nfinished in {took:.1f} s: {report['total_calls']} calls ({report['total_calls'] / took:.0f} calls/s)")
    print("GET /v1/autocall/report:")
    for key, value in report["status"].items():
        print(f"  {key:14s} {value}")
    print("recall_status of every attempt:")
    for key, value in report["recall_status"].items():
        if value:
            print(f"  {key:14s} {value}")
    print(
        f"  total_duration {report['total_duration']} s, total_billsec {report['total_billsec']} s, "
        f"total_waitsec {report['total_waitsec']} s (simulated time)"
    )
    recalled = sum(
        1
        for _, lead in store.external_ids.leads(campaign.campaign_uuid)
        if int(store.leads.get(lead).get("attempts") or 0) > 1
    )
    print(f"leads recalled at least once: {recalled}")
    try:
        sim = json.loads(stats.read_text())
        print(
            f"simulator: {sim['originated']} originates, peak {sim['peak_concurrent']} channels "
            f"(cap {campaign.concurrent_call}), refused for sps {sim['sps_rejected']}"
        )
    except (OSError, ValueError, KeyError):
        pass
    print(
        f"inspect: redis-cli -p <port> ZRANGE {store.keys.cdrs(campaign.campaign_uuid)} 0 4 ; "
        f"HGETALL {store.keys.prefix}:call:<uuid>"
    )
