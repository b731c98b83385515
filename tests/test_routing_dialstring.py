"""The originate dial string: its shapes, and that no value can add a variable, a leg or an app.

``fs_read`` below replays what FreeSWITCH 1.10 does to ``bgapi originate <arg>``
(see dialer/routing/dialstring.py for the steps), ported line by line from
switch_utils.c (``switch_separate_string``, ``cleanup_separated_string``,
``switch_find_end_paren``, ``switch_strchr_strict``), switch_event.c
(``switch_event_create_brackets``), switch_ivr_originate.c and mod_commands.c.
It works on code points: every character these functions compare with is
ASCII, and the UTF-8 bytes of a non-ASCII character are all >= 0x80, so a
non-ASCII character can never match one.

Every built string is read back with it, and the tests assert the exact
variables, legs and destination that were intended.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dialer.domain.enums import ModeCall
from dialer.routing import Leg, UnsafeValue, build_originate, escape_value
from simswitch.dialstring import parse_originate as simswitch_parse

# --- FreeSWITCH's passes, ported ----------------------------------------------------------------

ESCAPE, QUOTE = "\\", "'"
QUOTED_ESC_COMMA, UNQUOTED_ESC_COMMA = "\x01", "\x02"  # switch_ivr_originate.c
ENTERPRISE_DELIM = ":_:"
MAX_PEERS = 128


class FsError(Exception):
    """FreeSWITCH would refuse the command, or read it as something we never build."""


def unescape_char(c: str) -> str:
    return {"n": "\n", "r": "\r", "t": "\t", "s": " "}.get(c, c)


def cleanup(s: str, delim: str) -> str:
    """cleanup_separated_string: drop leading spaces, quotes, unescape, drop trailing spaces."""
    i = 0
    while i < len(s) and s[i] == " ":
        i += 1
    out: list[str] = []
    end: int | None = None
    inside = False
    while i < len(s):
        c = s[i]
        if c == ESCAPE and i + 1 < len(s):
            e = s[i + 1]
            literal = e in (QUOTE, '"', ESCAPE) or (delim != "" and e == delim)
            if literal or unescape_char(e) != e:
                out.append(e if literal else unescape_char(e))
                end = len(out)
                i += 2
                continue
        if c == QUOTE and (inside or QUOTE in s[i + 1 :]):
            inside = not inside
            if inside:
                end = len(out)
        else:
            out.append(c)
            if c != " " or inside:
                end = len(out)
        i += 1
    return "".join(out if end is None else out[:end])


def separate_char_delim(buf: str, delim: str, arraylen: int) -> list[str]:
    starts: list[int] = []
    cuts: list[int] = []
    i, start_state, inside = 0, True, False
    while i < len(buf) and len(starts) < arraylen:
        if start_state:
            starts.append(i)
            start_state = False
            continue
        c = buf[i]
        if c == ESCAPE:
            i += 1
        elif c == QUOTE and (inside or QUOTE in buf[i + 1 :]):
            inside = not inside
        elif c == delim and not inside:
            cuts.append(i)
            start_state = True
        i += 1
    pieces = [buf[s : cuts[k] if k < len(cuts) else len(buf)] for k, s in enumerate(starts)]
    return [cleanup(p, delim) for p in pieces]


def separate_blank(buf: str, arraylen: int) -> list[str]:
    starts: list[int] = []
    cuts: list[int] = []
    i, state, inside = 0, "start", False
    while i < len(buf) and len(starts) < arraylen:
        c = buf[i]
        if state == "start":
            starts.append(i)
            state = "skip_initial"
        elif state == "skip_initial":
            if c == " ":
                i += 1
            else:
                state = "find"
        elif state == "find":
            if c == ESCAPE:
                i += 1
            elif c == QUOTE:
                inside = not inside
            elif c == " " and not inside:
                cuts.append(i)
                state = "skip_ending"
            i += 1
        elif c == " ":
            i += 1
        else:
            state = "start"
    pieces = [buf[s : cuts[k] if k < len(cuts) else len(buf)] for k, s in enumerate(starts)]
    return [cleanup(p, "") for p in pieces]


def separate_string(buf: str, delim: str, arraylen: int) -> list[str]:
    if buf.startswith("^^") and len(buf) >= 4:
        delim, buf = buf[2], buf[3:]
    return separate_blank(buf, arraylen) if delim == " " else separate_char_delim(buf, delim, arraylen)


def find_end_paren(s: str, i: int, open_c: str, close_c: str) -> int | None:
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == open_c:
        depth = 1
        for j in range(i + 1, len(s)):
            if s[j] == open_c and open_c != close_c:
                depth += 1
            elif s[j] == close_c:
                depth -= 1
                if depth == 0:
                    return j
    return None


def strchr_strict(s: str, i: int, find: str, allowed: str) -> int | None:
    while i < len(s):
        if s[i] == find:
            return i
        if s[i] not in allowed:
            return None
        i += 1
    return i  # C returns the pointer to the terminating NUL


def create_brackets(data: str, open_c: str, close_c: str, delim: str) -> tuple[list[tuple[str, str]], str]:
    """switch_event_create_brackets for one block at the start of ``data``: (pairs, rest)."""
    end = find_end_paren(data, 0, open_c, close_c)
    if end is None:
        raise FsError(f"Parse Error! (no end to {open_c})")
    vdata = data[data.index(open_c) + 1 : end]
    if vdata.startswith("^^"):
        delim, vdata = vdata[2], vdata[3:]
    pairs = []
    for piece in separate_string(vdata, delim, 1024):
        name_value = separate_string(piece, "=", 2)
        if len(name_value) == 2:
            pairs.append((name_value[0], name_value[1]))
    return pairs, data[end + 1 :]


def mark_leg_commas(segment: str) -> str:
    """The scan in switch_ivr_originate that turns commas inside [...] into separators."""
    chars = list(segment)
    end: int | None = None
    quoted = alt = False
    for p, c in enumerate(segment):
        if c == "[":
            end = find_end_paren(segment, p, "[", "]")
            alt = segment[p + 1 : p + 3] == "^^"
            quoted = False
        if c == QUOTE:
            quoted = not quoted
        if end is not None and p < end and c == "," and segment[p - 1] != ESCAPE:
            chars[p] = QUOTED_ESC_COMMA if (quoted or alt) else UNQUOTED_ESC_COMMA
        if p == end:
            end = strchr_strict(segment, p, "[", " ")
    return "".join(chars)


@dataclass
class FsLeg:
    variables: list[tuple[str, str]]
    endpoint: str


@dataclass
class FsOriginate:
    global_vars: list[tuple[str, str]]
    groups: list[list[FsLeg]]  # "|" groups, each a list of "," legs
    destination: list[str]  # the remaining originate arguments
    nested_vars: bool = False  # origination_nested_vars=true found: ${} checks are off
    legs: list[FsLeg] = field(init=False)

    def __post_init__(self) -> None:
        self.legs = [leg for group in self.groups for leg in group]


def fs_read(arg: str) -> FsOriginate:
    """What FreeSWITCH makes of ``bgapi originate <arg>``."""
    if any(c in arg for c in "\r\n"):
        raise FsError("the ESL command would end at the newline")
    argv = separate_string(arg.strip(), " ", 10)  # mod_commands originate_function
    if not 2 <= len(argv) <= 7:
        raise FsError("-USAGE")
    data = argv[0]
    if ENTERPRISE_DELIM in data:
        raise FsError("enterprise originate")
    data = data.lstrip(" ")
    nested = "origination_nested_vars=true" in data.lower()
    global_vars: list[tuple[str, str]] = []
    while data.startswith("{"):
        pairs, data = create_brackets(data, "{", "}", ",")
        global_vars += pairs
    data = data.lstrip(" ")
    groups = []
    for segment in separate_string(data, "|", MAX_PEERS):
        groups.append([read_leg(text) for text in separate_string(mark_leg_commas(segment), ",", MAX_PEERS)])
    return FsOriginate(global_vars, groups, argv[1:], nested)


def read_leg(text: str) -> FsLeg:
    text = text.lstrip(" ")
    variables: list[tuple[str, str]] = []
    while text.startswith("["):
        bend = find_end_paren(text, 0, "[", "]")
        if bend is None:
            raise FsError("Parse Error! (no end to [)")
        text = text[:bend].replace(QUOTED_ESC_COMMA, ",") + text[bend:]
        pairs, rest = create_brackets(text, "[", "]", UNQUOTED_ESC_COMMA)
        variables += pairs
        text = rest
    return FsLeg(variables, text.lstrip(" "))


# --- the oracle reads real FreeSWITCH input as FreeSWITCH did ----------------------------------

CAPTURES = Path(__file__).parent / "captures"


def captured_originates() -> list[tuple[str, str]]:
    """(capture, argument) of every captured originate that dialled SIP (error/ and loopback/ make no SIP leg)."""
    found = []
    for cmd in sorted(CAPTURES.glob("*.cmd")):
        for line in cmd.read_text().split("\n"):
            if line.startswith("bgapi originate ") and ("}sofia/external/1" in line or "]sofia/external/1" in line):
                found.append((cmd.name, line.removeprefix("bgapi originate ")))
    return found


CAPTURED = captured_originates()


@pytest.mark.parametrize(("capture", "arg"), CAPTURED, ids=[name for name, _ in CAPTURED])
def test_the_oracle_reads_every_captured_originate_into_the_channels_freeswitch_created(capture, arg):
    parsed = fs_read(arg)
    esl = (CAPTURES / capture.replace(".cmd", ".esl")).read_text(errors="replace")
    uuids = [value for one in parsed.legs for name, value in one.variables if name == "origination_uuid"]
    uuids += [value for name, value in parsed.global_vars if name == "origination_uuid"]
    assert uuids, "every captured originate names its uuid"
    for uuid in uuids:
        assert f"Unique-ID: {uuid}" in esl or f'"Unique-ID":"{uuid}"' in esl, f"no channel {uuid} was created"
    assert parsed.destination == arg.split(" ", 1)[1].split(" ")


def test_the_oracle_sees_two_serial_legs_with_their_own_uuids_in_the_serial_capture():
    (arg,) = {a for name, a in CAPTURED if name == "serial-busy-then-answer.plain.cmd"}
    parsed = fs_read(arg)
    assert [len(group) for group in parsed.groups] == [1, 1]
    assert parsed.global_vars == [
        ("originate_timeout", "8"),
        ("ignore_early_media", "true"),
        ("origination_caller_id_number", "0900000000"),
    ]
    assert [one.endpoint for one in parsed.legs] == [
        "sofia/external/1003@127.0.0.1:5073",
        "sofia/external/1001@127.0.0.1:5071",
    ]


def test_the_oracle_sees_two_parallel_legs_in_the_parallel_capture():
    (arg,) = {a for name, a in CAPTURED if name == "parallel-busy-and-answer.plain.cmd"}
    assert [len(group) for group in fs_read(arg).groups] == [2]


def test_the_oracle_reads_quotes_escapes_and_brackets_as_the_ported_code_does():
    # {a='x,y'} keeps the comma only through the argument split, which strips the quotes;
    # the block split then cuts "a=x,y" into a=x and a stray "y" (no '=', ignored).
    assert fs_read("{a='x,y'}null/1 &park()").global_vars == [("a", "x")]
    assert fs_read("{a=x\\,y}null/1 &park()").global_vars == [("a", "x,y")]
    assert fs_read("{a='x y'}null/1 &park()").global_vars == [("a", "x y")]
    assert fs_read("{a=x}[b=1,c=2]null/1,[d=3]null/2 &park()").groups == [
        [FsLeg([("b", "1"), ("c", "2")], "null/1"), FsLeg([("d", "3")], "null/2")]
    ]
    assert fs_read("{a=x}}null/1 &park()").legs[0].endpoint == "}null/1"
    with pytest.raises(FsError, match="enterprise"):
        fs_read("{a='x :_: y'}null/1 &park()")


# --- helpers ------------------------------------------------------------------------------------

U1 = "61ef3f1d-c5ce-49a7-99fb-7a38733a7d2c"
U2 = "881f20fe-a851-4391-a5b9-d12dda6e2f45"
U3 = "a3762636-9063-4106-a65e-727223c067d9"


def leg(
    uuid: str = U1,
    number: str = "0982596021",
    *,
    gateway: str = "viettel_1",
    caller_id: str = "02471001234",
    **variables: str,
) -> Leg:
    return Leg(uuid=uuid, gateway=gateway, number=number, caller_id=caller_id, variables=variables)


def build(
    legs: list[Leg],
    mode: ModeCall = ModeCall.SERIAL,
    *,
    timeout: int = 30,
    global_vars: dict[str, str] | None = None,
    destination: str = "&park()",
) -> str:
    return build_originate(legs, mode, timeout=timeout, global_vars=global_vars or {}, destination=destination)


def intended_globals(timeout: int, global_vars: dict[str, str]) -> list[tuple[str, str]]:
    pairs = [("originate_timeout", str(timeout)), ("ignore_early_media", "true")]
    return pairs + [(k, v) for k, v in global_vars.items() if v]


def intended_leg(one: Leg) -> FsLeg:
    pairs = [("origination_uuid", one.uuid)]
    if one.caller_id:
        pairs.append(("origination_caller_id_number", one.caller_id))
    pairs += [(k, v) for k, v in one.variables.items() if v]
    return FsLeg(pairs, f"sofia/gateway/{one.gateway}/{one.number}")


def assert_reads_as_intended(
    arg: str, legs: list[Leg], mode: ModeCall, timeout: int, global_vars: dict[str, str], destination: str
) -> None:
    parsed = fs_read(arg)
    assert parsed.global_vars == intended_globals(timeout, global_vars)
    if mode is ModeCall.PARALLEL:
        assert parsed.groups == [[intended_leg(one) for one in legs]]
    else:
        assert parsed.groups == [[intended_leg(one)] for one in legs]
    assert parsed.destination == destination.split()
    assert not parsed.nested_vars


# --- shapes -------------------------------------------------------------------------------------


def test_direct_is_one_leg_with_its_uuid_and_caller_id_in_its_own_block():
    assert build([leg()], ModeCall.DIRECT, global_vars={"autocall_campaign": "42"}) == (
        "{originate_timeout=30,ignore_early_media=true,autocall_campaign=42}"
        f"[origination_uuid={U1},origination_caller_id_number=02471001234]sofia/gateway/viettel_1/0982596021"
        " &park()"
    )


def test_serial_joins_the_legs_with_a_pipe_so_they_are_tried_in_turn():
    arg = build([leg(U1), leg(U2, "0912345678", gateway="vina")], ModeCall.SERIAL, destination="autocall XML autocall")
    assert arg == (
        "{originate_timeout=30,ignore_early_media=true}"
        f"[origination_uuid={U1},origination_caller_id_number=02471001234]sofia/gateway/viettel_1/0982596021"
        f"|[origination_uuid={U2},origination_caller_id_number=02471001234]sofia/gateway/vina/0912345678"
        " autocall XML autocall"
    )


def test_parallel_joins_the_legs_with_a_comma_so_they_ring_together():
    arg = build([leg(U1), leg(U2, "0912345678", gateway="vina")], ModeCall.PARALLEL)
    assert arg == (
        "{originate_timeout=30,ignore_early_media=true}"
        f"[origination_uuid={U1},origination_caller_id_number=02471001234]sofia/gateway/viettel_1/0982596021"
        f",[origination_uuid={U2},origination_caller_id_number=02471001234]sofia/gateway/vina/0912345678"
        " &park()"
    )


@pytest.mark.parametrize("mode", [ModeCall.DIRECT, ModeCall.SERIAL, ModeCall.PARALLEL])
def test_freeswitch_reads_each_shape_as_the_intended_groups_legs_and_variables(mode):
    legs = [leg(U1, lead="7")] if mode is ModeCall.DIRECT else [leg(U1, lead="7"), leg(U2, "0912345678"), leg(U3)]
    global_vars = {"autocall_campaign": "42", "autocall_lead": "lead-9"}
    arg = build(legs, mode, timeout=45, global_vars=global_vars, destination="autocall XML autocall")
    assert_reads_as_intended(arg, legs, mode, 45, global_vars, "autocall XML autocall")


@pytest.mark.parametrize("mode", [ModeCall.SERIAL, ModeCall.PARALLEL])
def test_origination_uuid_is_never_in_the_global_block_and_every_leg_has_its_own(mode):
    parsed = fs_read(build([leg(U1), leg(U2), leg(U3)], mode))
    assert "origination_uuid" not in dict(parsed.global_vars)
    assert [dict(one.variables)["origination_uuid"] for one in parsed.legs] == [U1, U2, U3]


def test_an_empty_caller_id_leaves_origination_caller_id_number_out():
    arg = build([leg(caller_id="")])
    assert "origination_caller_id_number" not in arg
    assert fs_read(arg).legs[0].variables == [("origination_uuid", U1)]


def test_an_empty_variable_value_is_left_out_as_freeswitch_would_ignore_it():
    arg = build([leg(note="")], global_vars={"due_date": ""})
    assert "note" not in arg and "due_date" not in arg


def test_a_leading_plus_in_the_number_reaches_the_endpoint():
    assert fs_read(build([leg(number="+84982596021")])).legs[0].endpoint == "sofia/gateway/viettel_1/+84982596021"


def test_a_directory_user_and_a_loopback_extension_are_their_endpoints():
    user = Leg(uuid=U1, gateway="", number="1000", caller_id="", directory_user=True)
    echo = Leg(uuid=U2, gateway="", number="9196", caller_id="", loopback_context="default")
    assert [x.endpoint for x in fs_read(build([user, echo], ModeCall.SERIAL)).legs] == [
        "user/1000",
        "loopback/9196/default",
    ]


@pytest.mark.parametrize("context", ["de fault", "default/x", "a,b", "x}", "default\n", "a]b"])
def test_a_loopback_context_that_is_not_a_plain_name_is_refused(context):
    with pytest.raises(UnsafeValue, match=r"^loopback_context "):
        Leg(uuid=U1, gateway="", number="9196", caller_id="", loopback_context=context)


def test_a_loopback_leg_through_a_gateway_is_refused():
    with pytest.raises(UnsafeValue, match="loopback leg"):
        Leg(uuid=U1, gateway="gw", number="9196", caller_id="", loopback_context="default")


def test_the_mode_may_be_given_as_its_string_value():
    assert build([leg(U1), leg(U2)], "parralel") == build([leg(U1), leg(U2)], ModeCall.PARALLEL)  # type: ignore[arg-type]


# --- what build_originate refuses ---------------------------------------------------------------


def test_direct_with_two_legs_is_refused():
    with pytest.raises(ValueError, match="direct dials exactly one leg, got 2"):
        build([leg(U1), leg(U2)], ModeCall.DIRECT)


@pytest.mark.parametrize("mode", list(ModeCall))
def test_no_legs_is_refused(mode):
    with pytest.raises(ValueError, match="at least one leg"):
        build([], mode)


def test_more_legs_than_freeswitch_splits_is_refused():
    legs = [leg(f"{i:08x}-0000-4000-8000-000000000000") for i in range(129)]
    with pytest.raises(ValueError, match="at most 128"):
        build(legs, ModeCall.PARALLEL)


def test_two_legs_with_the_same_uuid_are_refused():
    with pytest.raises(ValueError, match="Duplicate UUID"):
        build([leg(U1), leg(U1, "0912345678")])


@pytest.mark.parametrize("timeout", [0, -1, 3601, True, 30.0, "30", None])
def test_a_timeout_outside_1_to_3600_whole_seconds_is_refused(timeout):
    with pytest.raises(ValueError, match="timeout must be an int from 1 to 3600"):
        build([leg()], timeout=timeout)


@pytest.mark.parametrize("timeout", [1, 3600])
def test_the_timeout_bounds_are_accepted(timeout):
    assert fs_read(build([leg()], timeout=timeout)).global_vars[0] == ("originate_timeout", str(timeout))


@pytest.mark.parametrize("destination", ["&park()\n", "&park()\r\napi shutdown", "&park()\n\nbgapi x", "", "   "])
def test_a_destination_with_a_line_break_or_nothing_in_it_is_refused(destination):
    with pytest.raises(ValueError, match="destination"):
        build([leg()], destination=destination)


LEG_FIELDS_REFUSED = [
    ("uuid", "61EF3F1D-C5CE-49A7-99FB-7A38733A7D2C"),
    ("uuid", "61ef3f1dc5ce49a799fb7a38733a7d2c"),
    ("uuid", "{61ef3f1d-c5ce-49a7-99fb-7a38733a7d2c}"),
    ("uuid", U1 + "\n"),
    ("uuid", U1 + ",origination_caller_id_number=1"),
    ("gateway", ""),
    ("gateway", "gw/evil"),
    ("gateway", "gw,[x=1]sofia/gateway/gw"),
    ("gateway", "gw |x"),
    ("gateway", "gw\n"),
    ("gateway", "gw:_:x"),
    ("number", "12"),
    ("number", "0982596021a"),
    ("number", "09825+96021"),
    ("number", "0982596021\n"),
    ("number", "0982596021|0912345678"),
    ("number", "0982596021 &bridge(x)"),
    ("number", "1" * 21),
    ("number", "٠٩٨٢٥٩٦٠٢١"),
    ("caller_id", "+84123"),
    ("caller_id", "1" * 21),
    ("caller_id", "0247,x=1"),
    ("caller_id", "0247\n"),
]


@pytest.mark.parametrize(("name", "value"), LEG_FIELDS_REFUSED)
def test_a_leg_field_that_is_not_of_its_strict_form_is_refused_naming_the_field(name, value):
    fields = {"uuid": U1, "gateway": "gw", "number": "0982596021", "caller_id": "0247"} | {name: value}
    with pytest.raises(UnsafeValue, match=f"^{name} "):
        Leg(**fields)


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "a=b", "a,b", "ä", "a\n", "a}", "a[0]", "^^:x"])
def test_a_variable_name_that_is_not_an_identifier_is_refused(name):
    with pytest.raises(UnsafeValue, match="variable name"):
        build([leg()], global_vars={name: "x"})
    with pytest.raises(UnsafeValue, match="variable name"):
        Leg(U1, "gw", "0982596021", "", {name: "x"})


@pytest.mark.parametrize(
    "name",
    ["origination_uuid", "ORIGINATION_UUID", "origination_caller_id_number", "originate_timeout", "Ignore_Early_Media"],
)
def test_the_variables_build_originate_sets_cannot_be_set_by_the_caller_at_either_level(name):
    with pytest.raises(UnsafeValue, match="set by build_originate itself"):
        build([leg()], global_vars={name: "x"})
    with pytest.raises(UnsafeValue, match="set by build_originate itself"):
        Leg(U1, "gw", "0982596021", "", {name: "x"})


def test_a_variable_set_both_globally_and_on_a_leg_is_refused():
    with pytest.raises(UnsafeValue, match="both globally and on leg"):
        build([leg(Lead_Id="1")], global_vars={"lead_id": "2"})


def test_a_name_given_twice_in_different_case_is_refused():
    with pytest.raises(UnsafeValue, match="given twice"):
        build([leg()], global_vars={"lead": "1", "LEAD": "2"})


def test_a_leg_keeps_a_read_only_copy_of_its_variables():
    variables = {"lead": "1"}
    one = Leg(U1, "gw", "0982596021", "", variables)
    variables["lead"] = "}evil"
    assert dict(one.variables) == {"lead": "1"}
    with pytest.raises(TypeError):
        one.variables["lead"] = "2"  # type: ignore[index]


# --- escape_value: carried inert, or refused ----------------------------------------------------

CARRIED = [
    "42",
    "Nguyễn Văn A",
    "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu",
    "10,410,000 VND",
    "a,b,,c,",
    ",leading comma",
    "Hà Nội, ngày 30/01/2021",
    "a=b=c",
    "x=1,y=2",
    "origination_uuid=" + U2,
    "a  b   c",
    "&bridge(sofia/gateway/evil/1)",
    "x &bridge(sofia/gateway/evil/1)",
    "^^:a=1:b=2",
    "^^,x",
    "a:b",
    ":_",
    "_:",
    'say "hi"',
    "$100 %20 <x> (y) ? ! @ # * + - / ~ ` ;",
    "$",
    "US$ 5",
    "origination_nested_vars",
    "nested_vars=true",
    "ARRAY:",
    "xARRAY::y",
    "tab\u00a0nbsp",
    "emoji 🎉 ok",
    "\u200bzero width",
]


@pytest.mark.parametrize("value", CARRIED)
def test_a_value_is_carried_inert_and_arrives_exactly_in_the_global_block(value):
    arg = build([leg()], global_vars={"v": value, "after": "ok"})
    assert fs_read(arg).global_vars == intended_globals(30, {"v": value, "after": "ok"})


@pytest.mark.parametrize("value", CARRIED)
def test_a_value_is_carried_inert_and_arrives_exactly_in_a_leg_block(value):
    legs = [leg(U1, v=value, after="ok"), leg(U2, "0912345678", v=value)]
    for mode in (ModeCall.SERIAL, ModeCall.PARALLEL):
        assert_reads_as_intended(build(legs, mode), legs, mode, 30, {}, "&park()")


def test_commas_are_escaped_and_spaces_quoted():
    assert escape_value("Nguyễn Văn A") == "'Nguyễn Văn A'"
    assert escape_value("a,b") == "a\\,b"
    assert escape_value("Hà Nội, 2021") == "'Hà Nội\\, 2021'"
    assert escape_value("plain") == "plain"
    assert escape_value("") == ""


REFUSED = [
    ("a}b", "'}': it would end the {} variable block"),
    ("a]b", "']': it would end the [] variable block"),
    ("a{b", "'{': FreeSWITCH finds the end of a {} or [] block by counting brackets"),
    ("a[b", "'[': FreeSWITCH finds the end of a {} or [] block by counting brackets"),
    ("${system(touch /tmp/x)}", "'{'"),
    ("$${hostname}", "'{'"),
    ("O'Brien", '"\'": a quote toggles quoting'),
    ("a\\,b", "'\\\\': a backslash is an escape"),
    ("a|b", "'|': it separates serial legs"),
    ("a\nb", "'\\n': control and line-separator characters cannot be carried"),
    ("a\r\nb", "'\\r'"),
    ("a\x00b", "'\\x00'"),
    ("a\tb", "'\\t'"),
    ("a\x01b", "'\\x01'"),
    ("a\x02b", "'\\x02'"),
    ("a\x7fb", "'\\x7f'"),
    ("a\x85b", "'\\x85'"),
    ("a\u2028b", "'\\u2028'"),
    ("a:_:b", "':_:', which splits the whole originate"),
    ("origination_nested_vars=true", "switch off FreeSWITCH's check"),
    ("x ORIGINATION_NESTED_VARS=True y", "switch off FreeSWITCH's check"),
    (" leading", "starts or ends with a space"),
    ("trailing ", "starts or ends with a space"),
    (" ", "starts or ends with a space"),
    ("ARRAY::a|:b", "'|'"),
    ("ARRAY::ab", "starts with 'ARRAY::', which FreeSWITCH turns into an array"),
]


@pytest.mark.parametrize(("value", "why"), REFUSED)
def test_a_value_that_cannot_be_carried_exactly_is_refused_with_its_reason(value, why):
    with pytest.raises(UnsafeValue, match=re.escape(why)):
        escape_value(value)


@pytest.mark.parametrize(("value", "why"), REFUSED)
def test_build_originate_never_returns_a_string_holding_a_refused_value(value, why):
    with pytest.raises(UnsafeValue, match="variable 'v'"):
        build([leg()], global_vars={"v": value})
    with pytest.raises(UnsafeValue, match="variable 'v'"):
        leg(v=value)


def test_a_value_that_is_not_text_is_a_type_error():
    with pytest.raises(TypeError):
        escape_value(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("char", [chr(c) for c in range(0x20, 0x7F)])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_every_printable_ascii_character_anywhere_is_carried_exactly_or_refused(char, where):
    value = {"start": f"{char}x y", "middle": f"x {char} y", "end": f"x y{char}"}[where]
    try:
        legs = [leg(U1, v=value), leg(U2, v=value)]
        arg = build(legs, ModeCall.PARALLEL, global_vars={"g": value})
    except UnsafeValue:
        return
    assert_reads_as_intended(arg, legs, ModeCall.PARALLEL, 30, {"g": value}, "&park()")


HOSTILE_ALPHABET = [*",}]|{['^=&: \\\n\r\t\"$_A", "^^", ":_:", "ARRAY::", "ễ", "Đ", "ă", "🎉", "\u00a0", "\x02"]


def test_random_hostile_values_are_carried_exactly_or_refused_and_never_change_the_shape():
    rng = random.Random(20180915)
    carried = 0
    for _ in range(3000):
        value = "".join(rng.choice(HOSTILE_ALPHABET) for _ in range(rng.randint(1, 12)))
        mode = rng.choice([ModeCall.SERIAL, ModeCall.PARALLEL])
        try:
            legs = [leg(U1, v=value), leg(U2, "0912345678", w=value)]
            arg = build(legs, mode, global_vars={"g": value, "h": "tail"})
        except UnsafeValue:
            continue
        carried += 1
        assert "\n" not in arg and "\r" not in arg
        assert_reads_as_intended(arg, legs, mode, 30, {"g": value, "h": "tail"}, "&park()")
    assert carried > 200, "the alphabet should let a fair share of values through"


def test_the_projects_simulator_reads_the_same_variables_as_freeswitch():
    value = "Nguyễn Văn A, Hà Nội: 10,410,000 VND & more"
    legs = [leg(U1, customer=value), leg(U2, "0912345678")]
    arg = build(legs, ModeCall.SERIAL, global_vars={"note": value}, destination="autocall XML autocall")
    sim = simswitch_parse(arg)
    assert sim.global_vars == intended_globals(30, {"note": value})
    assert [[(one.endpoint, one.variables) for one in group] for group in sim.groups] == [
        [(intended_leg(one).endpoint, intended_leg(one).variables)] for one in legs
    ]
    assert (sim.exten, sim.dialplan, sim.context) == ("autocall", "XML", "autocall")


def test_the_built_argument_is_one_esl_line():
    arg = build([leg(U1, v="a, b")], global_vars={"g": "Hà Nội"})
    assert re.fullmatch(r"[^\r\n\x00]+", arg)
