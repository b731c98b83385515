"""The ``autocall`` command."""

from __future__ import annotations

# autocall is a gevent program: patch before anything opens a socket or a thread.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

# Each command imports what it runs inside its function: start-up cost (``autocall simswitch`` and
# ``autocall tts render`` never load the engine, Redis or the API; ``serve`` never loads the
# simulator). None of these lazy imports hides an import cycle (the import-linter contracts in
# pyproject.toml would fail on one).


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autocall", description="Outbound voice campaigns on FreeSWITCH.")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simswitch", help="run the FreeSWITCH Event Socket simulator")
    sim.add_argument("--listen", type=_hostport, default=("127.0.0.1", 8021), metavar="HOST:PORT")
    sim.add_argument("--password", required=True, help="ESL password clients must send with 'auth'")
    sim.add_argument("--scenario", help="YAML or JSON file of callee behaviours (docs/simswitch.md)")
    sim.add_argument(
        "--dialplan",
        metavar="FILE",
        help="FreeSWITCH XML dialplan file whose contexts replace the scenario's "
        "(default: freeswitch-conf/dialplan/autocall.xml and autodialer.xml)",
    )
    sim.add_argument("--time-scale", type=float, default=1.0, help="multiply every call duration (0.01: 100x faster)")
    sim.add_argument("--seed", type=int, default=None, help="seed for the outcome mix and ordering races")
    sim.add_argument("--max-sessions", type=int, default=1000)
    sim.add_argument("--sps", type=int, default=30, help="sessions per second")
    sim.add_argument("--stats-file", help="JSON stats rewritten every second and at exit")
    sim.add_argument(
        "--originate-log",
        metavar="PATH",
        help="append '<time.monotonic_ns()> <origination_uuid>' per originate received (latency benches)",
    )
    sim.add_argument("--heartbeat", type=float, default=20.0, help="HEARTBEAT interval in wall seconds (0: off)")
    sim.add_argument("--races", action="store_true", help="randomise BACKGROUND_JOB placement (seeded)")
    sim.add_argument("--hostname", default=None)
    sim.add_argument(
        "--restart-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="after an 'fsctl shutdown', come back this much later as a new FreeSWITCH (new "
        "Core-UUID), as systemd would restart it; default: stay down",
    )
    sim.add_argument(
        "--cdr-url",
        default=os.environ.get("AUTOCALL_FS_CDR_URL", ""),
        metavar="URL",
        help="mod_json_cdr posts each channel's CDR here, as freeswitch-conf's json_cdr.conf.xml says "
        "(default: AUTOCALL_FS_CDR_URL; AUTOCALL_FS_CDR_SECRET, _RETRIES as there)",
    )
    sim.add_argument(
        "--config-url",
        default=os.environ.get("AUTOCALL_FS_CONFIG_URL", ""),
        metavar="URL",
        help="mod_xml_curl asks this URL for mod_callcenter's queues, as freeswitch-conf's xml_curl.conf.xml "
        "says (default: AUTOCALL_FS_CONFIG_URL; credentials freeswitch:AUTOCALL_FS_CDR_SECRET)",
    )
    sim.add_argument(
        "--cdr-log-dir",
        default=os.path.join(tempfile.gettempdir(), "autocall-simswitch-log"),
        metavar="DIR",
        help="FreeSWITCH's log_dir: undelivered CDRs go to its json_cdr_err",
    )

    serve = sub.add_parser("serve", help="run the dialing engine (configuration: AUTOCALL_* environment, --config)")
    serve.add_argument("--config", help="YAML or JSON settings file (environment variables override it)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="engine processes to run, supervised by this one (default: AUTOCALL_WORKERS, 1: this process "
        "dials); each paces to 1/N of every node's budget, worker 1 serves the API",
    )
    serve.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # I/N: set by the supervisor

    tts = sub.add_parser("tts", help="hear a message before a campaign runs")
    tts_sub = tts.add_subparsers(dest="tts_command", required=True)
    render = tts_sub.add_parser("render", help="render a template with a lead's fields to a WAV (or its text)")
    render.add_argument("--template", required=True, metavar="FILE", help="the template text, {{field}} placeholders")
    render.add_argument("--fields", default="{}", metavar="JSON", help="a JSON object, or a path to one")
    render.add_argument("--out", metavar="WAV", help="where to write the WAV (required unless --text-only)")
    render.add_argument("--text-only", action="store_true", help="print the exact spoken text; synthesise nothing")
    render.add_argument("--rate", type=int, choices=(8000, 16000), default=8000)
    render.add_argument(
        "--voices",
        metavar="TOML",
        default=os.environ.get("AUTOCALL_TTS_VOICES", ""),
        help="the voices file (default: $AUTOCALL_TTS_VOICES); without one, espeak-ng speaks",
    )
    render.add_argument(
        "--voice",
        default="",
        metavar="NAME",
        help="a voice of the voices file (default: its default voice); without a voices file, the espeak-ng "
        "voice (default vi). Exit status 3 when the voice failed and its fallback spoke instead",
    )

    call = sub.add_parser("test-call", help="ring a softphone (a FreeSWITCH directory user) through the engine")
    call.add_argument("extension", help="the directory user to ring, e.g. 1000 (freeswitch-conf/directory/)")
    call.add_argument("--config", help="YAML or JSON settings file (environment variables override it)")
    call.add_argument("--text", help="template text to speak (TTS); {{ten}} and {{gio}} are filled in")
    call.add_argument("--audio", help="play this file of AUTOCALL_AUDIO_DIR instead of TTS")
    call.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the call to end")
    call.add_argument(
        "--time-zone",
        default="Asia/Ho_Chi_Minh",
        help="the zone {{gio}} is spoken in, as a campaign's time_zone (not the server's)",
    )

    check = sub.add_parser(
        "agent-test",
        help="check an autodialer agent's softphone: one queue call bridged to it through mod_callcenter",
    )
    check.add_argument("extension", help="the agent's extension (/v3/agent), e.g. 1001")
    check.add_argument("--config", help="YAML or JSON settings file (environment variables override it)")
    lead = check.add_mutually_exclusive_group()
    lead.add_argument(
        "--number",
        help="the lead: this number, through AUTOCALL_DEFAULT_GATEWAY (default: FreeSWITCH's echo test, "
        "loopback/9196/default: the agent hears their own voice)",
    )
    lead.add_argument("--user", help="the lead: another directory user (a second softphone), e.g. 1000")
    check.add_argument("--ring", type=int, default=30, help="seconds the agent's softphone rings (5 to 55)")
    check.add_argument("--timeout", type=float, default=120.0, help="seconds before the test call is hung up")
    check.add_argument("--create", action="store_true", help="create the agent (Logged Out) if /v3/agent has none")
    check.add_argument("--text", help="the abandon message a lead no agent took hears (TTS)")
    check.add_argument("--audio", help="play this file of AUTOCALL_AUDIO_DIR as the abandon message instead of TTS")

    status = sub.add_parser("status", help="campaigns, engines (and their FreeSWITCH nodes) and queues, from Redis")
    status.add_argument("--config", help="YAML or JSON settings file (AUTOCALL_REDIS_URL, AUTOCALL_REDIS_PREFIX)")
    status.add_argument("--json", action="store_true", help="print JSON instead of tables")

    spool = sub.add_parser(
        "cdr-spool",
        help="deliver the CDRs FreeSWITCH's mod_json_cdr could not post "
        "(its err-log-dir, e.g. /var/log/freeswitch/json_cdr_err)",
    )
    spool.add_argument("directory", help="mod_json_cdr's err-log-dir")
    spool.add_argument("--config", help="YAML or JSON settings file (AUTOCALL_REDIS_URL, AUTOCALL_REDIS_PREFIX)")
    spool.add_argument("--keep", action="store_true", help="leave the files in place (default: remove each one taken)")

    demo = sub.add_parser("demo", help="start a private Redis and the simulator, and place calls through them")
    demo.add_argument("--calls", type=int, default=3000, help="leads to import")
    demo.add_argument("--time-scale", type=float, default=0.01, help="simulated call time per wall second")
    demo.add_argument("--sps", type=int, default=400, help="the simulated FreeSWITCH's sessions-per-second")
    demo.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "simswitch":
        return run_simswitch(args)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "tts":
        return run_tts_render(args)
    if args.command == "status":
        return run_status(args)
    if args.command == "test-call":
        from dialer.testcall import DEFAULT_TEXT, run_test_call

        settings = _settings(args, "test-call")
        if settings is None:
            return 2
        return run_test_call(
            settings,
            args.extension,
            text=args.text or DEFAULT_TEXT,
            audio=args.audio or "",
            timeout_s=args.timeout,
            time_zone=args.time_zone,
        )
    if args.command == "agent-test":
        from dialer.agenttest import DEFAULT_TEXT as ABANDON_TEXT
        from dialer.agenttest import run_agent_test

        settings = _settings(args, "agent-test")
        if settings is None:
            return 2
        return run_agent_test(
            settings,
            args.extension,
            number=args.number or "",
            user=args.user or "",
            ring_s=args.ring,
            timeout_s=args.timeout,
            create=args.create,
            text=args.text or ABANDON_TEXT,
            audio=args.audio or "",
        )
    if args.command == "cdr-spool":
        from dialer import cdr_spool

        settings = _settings(args, "cdr-spool")
        return 2 if settings is None else cdr_spool.run(settings, args.directory, keep=args.keep)
    if args.command == "demo":
        from dialer.demo import run_demo

        logging.getLogger().setLevel(logging.WARNING)
        return run_demo(calls=args.calls, time_scale=args.time_scale, seed=args.seed, sps=args.sps)
    return 2


def run_serve(args: argparse.Namespace) -> int:
    """``autocall serve``: this process dials, or (``--workers N`` > 1) it supervises N that do."""
    from pydantic import ValidationError

    from dialer.config import Settings
    from dialer.workers import WorkerSlot

    try:
        settings = Settings.load(args.config)
        slot = WorkerSlot.parse(args.worker) if args.worker else None
    except (OSError, ValueError, ValidationError) as exc:
        print(f"autocall serve: bad configuration: {exc}", file=sys.stderr)
        return 2
    count = args.workers or settings.workers
    if slot is None and count > 1:
        return run_supervisor(settings, count, args.config)
    from dialer.daemon import serve

    return serve(settings, slot)


def run_supervisor(settings, count: int, config_path: str | None) -> int:
    from dialer.logs import setup_logging
    from dialer.workers import Supervisor, worker_command

    setup_logging(settings.log_level, secrets=settings.secrets())  # it logs none; the scrubber all the same
    supervisor = Supervisor(count, lambda slot: worker_command(slot, config_path))
    stop = gevent.event.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, stop.set)
    logging.getLogger("autocall.workers").info("supervising workers", extra={"workers": count, "pid": os.getpid()})
    return supervisor.run(stop)


def _settings(args: argparse.Namespace, command: str):
    from pydantic import ValidationError

    from dialer.config import Settings

    try:
        return Settings.load(args.config)
    except (OSError, ValueError, ValidationError) as exc:
        print(f"autocall {command}: bad configuration: {exc}", file=sys.stderr)
        return None


def run_status(args: argparse.Namespace) -> int:
    """``autocall status``: what Redis says about campaigns, engines and queues."""
    import json

    from dialer.status import gather, render
    from dialer.store.errors import StoreError
    from dialer.store.store import Store

    settings = _settings(args, "status")
    if settings is None:
        return 2
    try:
        status = gather(Store.from_url(settings.redis_url.get_secret_value(), settings.redis_prefix))
    except StoreError as exc:
        print(f"autocall status: Redis unavailable: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(status, ensure_ascii=False, indent=2) if args.json else render(status))
    return 0


def run_tts_render(args: argparse.Namespace) -> int:
    """``autocall tts render``: what a lead will hear, before the campaign runs."""
    import json
    import shutil
    import tempfile
    from pathlib import Path

    from tts.template import render

    try:
        text = Path(args.template).read_text(encoding="utf-8")
        raw = args.fields
        fields = json.loads(Path(raw).read_text(encoding="utf-8") if not raw.lstrip().startswith("{") else raw)
        if not isinstance(fields, dict):
            raise ValueError("--fields must be a JSON object")
        spoken = render(text, fields)
    except (OSError, ValueError) as exc:
        print(f"autocall tts render: {exc}", file=sys.stderr)
        return 2
    if args.text_only:
        print(spoken)
        return 0
    if not args.out:
        print("autocall tts render: --out is required (or --text-only)", file=sys.stderr)
        return 2
    from tts import voices
    from tts.cache import AudioCache
    from tts.chain import VoiceChain

    try:
        book = voices.load(args.voices) if args.voices else voices.single("espeak", voice=args.voice)
    except voices.VoicesError as exc:
        print(f"autocall tts render: {exc}", file=sys.stderr)
        return 2
    asked = (args.voice if args.voices else "") or book.default
    if asked not in book.voices:
        print(f"autocall tts render: unknown voice {asked!r}; voices: {', '.join(book.names())}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="autocall-tts-") as scratch:
        chain = VoiceChain.build(book, AudioCache(Path(scratch)), args.rate)
        try:
            made = chain.speak(spoken, asked)
        except Exception as exc:  # SynthesisError: every voice of the chain failed
            print(f"autocall tts render: {exc}", file=sys.stderr)
            return 1
        shutil.copyfile(made, args.out)
    speaker = f"{made.voices[0]} ({made.engines[0]})"
    print(f"{args.out}: spoken by {speaker}: {spoken}")
    if made.voices[0] != asked:
        why = chain.errors.get(asked, "")
        print(f"autocall tts render: voice {asked!r} did not speak ({why}); {speaker} did", file=sys.stderr)
        return 3
    return 0


def run_simswitch(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from simswitch import Limits, SimServer, Switch, load_scenario
    from simswitch.callcenter import CallCenterSettings
    from simswitch.dialplan_xml import load_dialplan_xml, load_extensions
    from simswitch.json_cdr import autocall_settings
    from simswitch.package_data import PackageDataError
    from simswitch.server import dedicate_process

    try:
        scenario = load_scenario(args.scenario)
        json_cdr = autocall_settings(args.cdr_url, dict(os.environ), args.cdr_log_dir) if args.cdr_url else None
        callcenter = CallCenterSettings.autocall(args.config_url, dict(os.environ))
    except PackageDataError as exc:  # a broken install: refuse to start rather than park every call
        print(f"autocall simswitch: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, ValidationError) as exc:
        print(f"autocall simswitch: bad scenario {args.scenario}: {exc}", file=sys.stderr)
        return 2
    if args.dialplan:
        try:
            scenario.dialplan.update(load_dialplan_xml(args.dialplan))
            scenario.extensions.update(load_extensions(args.dialplan))
        except (OSError, ValueError, SyntaxError) as exc:  # ET.ParseError is a SyntaxError
            print(f"autocall simswitch: bad dialplan {args.dialplan}: {exc}", file=sys.stderr)
            return 2
    switch = Switch(
        scenario,
        time_scale=args.time_scale,
        seed=args.seed,
        limits=Limits(max_sessions=args.max_sessions, sps=args.sps),
        hostname=args.hostname,
        races=args.races,
        json_cdr=json_cdr,
        originate_log=args.originate_log,
        callcenter=callcenter,
    )
    host, port = args.listen
    server = SimServer(switch, host, port, args.password, heartbeat=args.heartbeat, stats_file=args.stats_file)
    dedicate_process()  # this process runs nothing else: a garbage collector tuned for the calls in flight
    server.restart_after = args.restart_after
    server.start()
    stop = gevent.event.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, stop.set)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
