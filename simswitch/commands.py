"""``api``/``bgapi`` commands of the simulated FreeSWITCH.

Replies are FreeSWITCH 1.10.12's texts as captured (api-misc, answer-uuid-kill):
errors are ``-ERR ...\\n`` bodies of an ``api/response``, never command/replies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from simswitch.causes import str2cause
from simswitch.core_info import VERSION_TEXT, uptime_text
from simswitch.dialstring import USAGE, DialStringError, parse_originate
from simswitch.shutdown import Shutdown

if TYPE_CHECKING:
    from simswitch.server import SimServer
    from simswitch.switch import Switch

Reply = Callable[[str], None]

# mod_commands.c's CTL_SYNTAX, the text of fsctl's usage answers.
CTL_SYNTAX = (
    "[api_expansion [on|off]|recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|"
    "shutdown [cancel|elegant|asap|now|restart]|sps|sps_peak_reset|sync_clock|sync_clock_when_idle|reclaim_mem|"
    "max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|default_dtmf_duration [num]|min_idle_cpu|"
    "loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]"
)

SHOW_FIELDS = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,"
    "application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,"
    "write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,"
    "callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,"
    "initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context"
).split(",")

# `sofia status` of a stock FreeSWITCH 1.10.12 configuration, as captured.
SOFIA_STATUS = (
    "                     Name\t   Type\t                                      Data\tState\n"
    "=================================================================================================\n"
    "                127.0.0.1\t  alias\t                                  internal\tALIASED\n"
    "                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)\n"
    "    external::example.com\tgateway\t                   sip:joeuser@example.com\tNOREG\n"
    "                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5060\tRUNNING (0)\n"
    "=================================================================================================\n"
    "2 profiles 1 alias\n"
)


class Api:
    def __init__(self, switch: Switch, server: SimServer | None = None):
        self.switch = switch
        self.server = server  # for fsctl shutdown (it closes the server's sockets)

    def execute(self, cmd: str, arg: str, reply: Reply, job_uuid: str | None = None) -> None:
        """Run one api command; ``reply`` gets the body (later, for originate)."""
        handler = getattr(self, "cmd_" + cmd, None)
        if handler is None:
            reply(f"-ERR {cmd} Command not found!\n")
            return
        if cmd == "originate":
            handler(arg, reply, job_uuid)
        elif cmd == "callcenter_config":
            handler(arg, reply)  # may answer once mod_xml_curl answered
        elif cmd == "fsctl" and self._drain_mode(arg):
            # fsctl shutdown asap|elegant answers when the drain ends (it blocks an ``api``)
            self.shutdown(arg.split()[1:], lambda: reply("+OK\n"))
        else:
            reply(handler(arg))

    # -- calls -------------------------------------------------------------------
    def cmd_originate(self, arg: str, reply: Reply, job_uuid: str | None) -> None:
        received_ns = time.monotonic_ns()  # --originate-log: when it arrived, before any work on it
        try:
            spec = parse_originate(arg)
        except DialStringError as exc:
            if self.switch.originate_log is not None:
                self.switch.originate_log.record(received_ns, None, job_uuid)
            text = str(exc)
            reply(text if text.startswith("-USAGE") else f"-ERR {text}\n")
            return
        if self.switch.originate_log is not None:
            self.switch.originate_log.record(received_ns, spec, job_uuid)
        if not arg.strip():
            reply(USAGE)
            return
        self.switch.originate(arg, spec, reply, job_uuid)

    def cmd_callcenter_config(self, arg: str, reply: Reply) -> None:
        """mod_callcenter's api (simswitch/callcenter/config_api.py)."""
        if "mod_callcenter" not in self.switch.modules:
            reply("-ERR callcenter_config Command not found!\n")
            return
        # mod_event_socket answers a command that printed nothing "-ERR no reply" (batch5 cc-config)
        self.switch.callcenter.api(arg, lambda body: reply(body or "-ERR no reply\n"))

    def _channel(self, uuid: str):
        return self.switch.channels.get(uuid.strip())

    def cmd_uuid_kill(self, arg: str) -> str:
        uuid, _, cause = arg.strip().partition(" ")
        ch = self._channel(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        self.switch.kill(ch, str2cause(cause) if cause else "NORMAL_CLEARING")
        return "+OK\n"

    def cmd_uuid_exists(self, arg: str) -> str:
        return "true" if self._channel(arg) is not None else "false"

    def cmd_uuid_setvar(self, arg: str) -> str:
        parts = arg.strip().split(" ", 2)
        if len(parts) < 2:
            return "-USAGE: <uuid> <var> [value]\n"
        ch = self._channel(parts[0])
        if ch is None:
            return "-ERR No such channel!\n"
        ch.var(parts[1], parts[2] if len(parts) > 2 else "")
        return "+OK\n"

    def cmd_uuid_getvar(self, arg: str) -> str:
        parts = arg.strip().split(" ", 1)
        ch = self._channel(parts[0]) if parts else None
        if ch is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        value = ch.get_var(parts[1])
        return "_undef_" if value is None else value

    def cmd_uuid_broadcast(self, arg: str) -> str:
        parts = arg.strip().split(" ")
        if len(parts) < 2:
            return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
        ch = self._channel(parts[0])
        if ch is None or not ch.answered:
            return "-ERR No such channel!\n"
        self.switch.broadcast(ch, parts[1])
        return "+OK Message sent successfully\n"

    def cmd_hupall(self, arg: str) -> str:
        parts = arg.split()
        cause = str2cause(parts[0]) if parts else "MANAGER_REQUEST"
        var = parts[1:3] if len(parts) >= 3 else None
        for ch in list(self.switch.channels.values()):
            if var is None or ch.get_var(var[0]) == var[1]:
                self.switch.kill(ch, cause)
        if var:
            return f"+OK hangup all channels matching [{var[0]}]=[{var[1]}] with cause {cause}\n"
        return f"+OK hangup all channels with cause {cause}\n"

    # -- status --------------------------------------------------------------------
    def cmd_version(self, arg: str) -> str:
        return VERSION_TEXT + "\n"

    def cmd_status(self, arg: str) -> str:
        sw = self.switch
        ss = sw.sessions
        n = len(sw.channels)
        return (
            f"UP {uptime_text(time.time() - sw.started)}\n"
            "FreeSWITCH (Version 1.10.12-release  64bit) is ready\n"
            f"{sw.since_startup} session(s) since startup\n"
            f"{n} session(s) - peak {sw.stats.peak_concurrent}, last 5min {sw.stats.peak_concurrent} \n"
            f"{ss.last()} session(s) per Sec out of max {ss.sps_total}, peak {ss.sps_peak}, "
            f"last 5min {ss.sps_peak_fivemin} \n"
            f"{ss.max_sessions} session(s) max\n"
            "min idle cpu 0.00/100.00\n"
            "Current Stack Size/Max 240K/8192K\n"
        )

    def cmd_fsctl(self, arg: str) -> str:
        """mod_commands' ctl_function, for the controls a dialer uses; the replies are its texts."""
        words = arg.split()
        if not words:
            return f"-USAGE: {CTL_SYNTAX}\n"
        what, rest = words[0].lower(), words[1:]
        sw, ss = self.switch, self.switch.sessions

        def number() -> int:  # atoi(): a bad number is 0, which leaves the value as it is
            digits = rest[0].lstrip("+-") if rest else ""
            return int(rest[0]) if digits.isdigit() else 0

        if sw.stopping and what not in ("shutdown", "hupall"):
            # switch_core_session_ctl refuses everything once the core is shutting down: each
            # command prints the value it was given, 0 without one (a real switch: batch2/realfs).
            return {
                "sps": f"+OK sessions per second: {number()}\n",
                "max_sessions": f"+OK max sessions: {number()}\n",
                "last_sps": "+OK last sessions per second: 0\n",
                "sps_peak_reset": "+OK max sessions per second counter reset\n",
            }.get(what, "false")
        if what == "sps":
            return f"+OK sessions per second: {ss.set_sps(number())}\n"
        if what == "max_sessions":
            return f"+OK max sessions: {ss.set_max_sessions(number())}\n"
        if what == "last_sps":
            return f"+OK last sessions per second: {ss.last()}\n"
        if what == "sps_peak_reset":
            ss.peak_reset()
            return "+OK max sessions per second counter reset\n"
        if what in ("pause", "resume"):
            on = what == "pause"
            where = rest[0].lower() if rest else ""
            if where != "inbound":
                sw.no_new_outbound = on
            if where != "outbound":
                sw.no_new_inbound = on
            return "+OK\n"
        if what == "pause_check":
            where = rest[0].lower() if rest else ""
            paused = {"outbound": sw.no_new_outbound, "inbound": sw.no_new_inbound}.get(where, sw.no_new_sessions)
            return "true" if paused else "false"
        if what == "ready_check":  # switch_core_ready(): not shutting down, not paused both ways
            return "false" if sw.stopping or sw.no_new_sessions else "true"
        if what == "shutdown_check":
            return "true" if sw.shutdown_requested else "false"
        if what == "shutdown":
            return self.shutdown(rest)
        if what == "hupall":
            for ch in list(sw.channels.values()):
                sw.kill(ch, "MANAGER_REQUEST")
            return "+OK\n"
        return f"-ERR Invalid command\nUSAGE: fsctl {CTL_SYNTAX}\n"

    @staticmethod
    def _shutdown_mode(words: list[str]) -> str:
        mode = "plain"
        for word in (w.lower() for w in words):
            if word == "cancel":
                return "cancel"
            if word in ("elegant", "asap"):
                mode = word
        return mode

    def _drain_mode(self, arg: str) -> bool:
        words = arg.split()
        return bool(words) and words[0].lower() == "shutdown" and self._shutdown_mode(words[1:]) in ("asap", "elegant")

    def shutdown(self, words: list[str], on_drained: Callable[[], None] | None = None) -> str:
        """``fsctl shutdown [cancel|elegant|asap]`` (shutdown.py runs it)."""
        mode = self._shutdown_mode(words)
        if mode == "cancel":
            self.switch.shutdown_requested = False
        elif self.server is not None:
            Shutdown.request(self.server, mode, on_drained)
        return "+OK\n"

    def cmd_global_getvar(self, arg: str) -> str:
        name = arg.strip()
        return self.switch.global_vars().get(name, "") if name else ""

    def cmd_module_exists(self, arg: str) -> str:
        name = arg.strip()
        return ("true" if name in self.switch.modules else "false") if name else ""

    def cmd_xml_locate(self, arg: str) -> str:
        """``xml_locate dialplan context name <ctx>``: the context's XML, or FreeSWITCH's
        "can't find anything" (only the dialplan section is simulated)."""
        words = arg.split()
        if len(words) not in (1, 4):
            return "-ERR bad args\n"
        if len(words) == 4 and words[0] == "dialplan" and words[1] == "context" and words[2] == "name":
            xml = self.switch.context_xml(words[3])
            if xml is not None:
                return xml
        return "can't find anything\n"

    def cmd_sofia(self, arg: str) -> str:
        return SOFIA_STATUS if arg.strip() == "status" else "-ERR unsupported by the simulator\n"

    def cmd_show(self, arg: str) -> str:
        words = arg.split()
        what = words[0] if words else ""
        rows = [self._row(ch) for ch in self.switch.channels.values() if not ch.hung_up]
        if what == "calls":
            rows = [r for r in rows if r["callstate"] == "ACTIVE"] if len(words) < 2 or words[1] != "count" else rows
        if what not in ("channels", "calls"):
            return "-USAGE: show channels|calls [count|as json]\n"
        if "count" in words:
            return f"\n{len(rows)} total.\n"
        if words[-2:] == ["as", "json"]:
            if not rows:
                return '{"row_count": 0}\n'
            return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))
        if not rows:
            return "\n0 total.\n"
        lines = [",".join(SHOW_FIELDS)] + [",".join(r[f] for f in SHOW_FIELDS) for r in rows]
        return "\n".join(lines) + f"\n\n{len(rows)} total.\n"

    def _row(self, ch) -> dict[str, str]:
        ctx = ch.ctx
        created = ctx.get("created_us", 0) // 1_000_000
        state = "CS_EXECUTE" if ch.answered else "CS_CONSUME_MEDIA"
        callstate = "ACTIVE" if ch.answered else ("RINGING" if ctx.get("progress_us") else "DOWN")
        row = dict.fromkeys(SHOW_FIELDS, "")
        row.update(
            uuid=ch.uuid,
            direction="outbound",
            created=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
            created_epoch=str(created),
            name=ctx.get("channel_name", ch.endpoint.raw),
            state=state,
            cid_name="Outbound Call",
            cid_num=ctx.get("dest", ""),
            dest=ctx.get("dest", ""),
            application=ch.app,
            application_data=ctx.get("app_data", "") if ch.app else "",
            context="default",
            read_codec="PCMU",
            read_rate="8000",
            read_bit_rate="64000",
            write_codec="PCMU",
            write_rate="8000",
            write_bit_rate="64000",
            hostname=self.switch.hostname,
            callstate=callstate,
            callee_num=ctx.get("cid_num", ""),
            callee_direction="RECV" if ch.answered else "",
            call_uuid=ch.uuid,
            initial_cid_num=ctx.get("cid_num", ""),
            initial_dest=ctx.get("dest", ""),
            initial_context="default",
        )
        return row
