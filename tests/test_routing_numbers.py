"""Vietnamese phone numbers: the forms accepted, the stored form, the network heuristic."""

from __future__ import annotations

import dataclasses
import time

import pytest

from dialer.domain.enums import Network
from dialer.routing import PREFIXES, InvalidNumber, PhoneNumber, normalize
from dialer.routing.numbers import FIXED_LENGTH, MOBILE_LENGTH

# The numbering plan as docs/routing.md states it (FREESWITCH-NOTES.md, "Vietnamese numbering").
PLAN: dict[str, tuple[Network, str, list[str]]] = {
    "Viettel": (Network.VIETTEL, "Viettel", [*(f"03{d}" for d in "23456789"), "086", "096", "097", "098"]),
    "Mobifone": (Network.MOBI, "Mobifone", ["070", "076", "077", "078", "079", "089", "090", "093"]),
    "Vinaphone": (Network.VINA, "Vinaphone", ["081", "082", "083", "084", "085", "088", "091", "094"]),
    "Vietnamobile": (Network.OFFNET, "Vietnamobile", ["052", "056", "058", "092"]),
    "Gmobile": (Network.OFFNET, "Gmobile", ["059", "099"]),
    "Itelecom": (Network.OFFNET, "Itelecom", ["087"]),
    "Reddi": (Network.OFFNET, "Reddi", ["055"]),
    "fixed lines": (Network.TEL, "fixed line", [f"02{d}" for d in "0123456789"]),
}
PLAN_ROWS = [(prefix, network, carrier) for network, carrier, prefixes in PLAN.values() for prefix in prefixes]


def sample(prefix: str) -> str:
    """A well-formed national number with this prefix."""
    length = FIXED_LENGTH if prefix.startswith("02") else MOBILE_LENGTH
    return (prefix + "12345678")[:length]


# --- the prefix table ---------------------------------------------------------------------------


def test_the_prefix_table_is_exactly_the_documented_plan():
    assert {p: (o.network, o.carrier) for p, o in PREFIXES.items()} == {p: (n, c) for p, n, c in PLAN_ROWS}


@pytest.mark.parametrize(("prefix", "network", "carrier"), PLAN_ROWS)
def test_every_prefix_in_the_table_maps_to_its_documented_network(prefix, network, carrier):
    number = normalize(sample(prefix))
    assert (number.network, number.carrier) == (network, carrier)


UNASSIGNED = [f"0{a}{b}" for a in "3456789" for b in "0123456789" if f"0{a}{b}" not in PREFIXES]


@pytest.mark.parametrize("prefix", UNASSIGNED)
def test_a_0x_prefix_missing_from_the_table_is_refused_naming_the_prefix(prefix):
    with pytest.raises(InvalidNumber) as caught:
        normalize(sample(prefix))
    assert caught.value.reason.endswith(f"prefix {prefix} is not assigned to any Vietnamese network")


@pytest.mark.parametrize("prefix", ["010", "011", "012", "013", "016", "019"])
def test_a_10_digit_number_with_a_01x_prefix_is_refused_naming_the_prefix(prefix):
    with pytest.raises(InvalidNumber, match=f"prefix {prefix} is not assigned"):
        normalize(prefix + "1234567")


# --- accepted forms and the stored form ---------------------------------------------------------

MOBILE_FORMS = [
    "0982596021",
    "84982596021",
    "+84982596021",
    "0084982596021",
    "+84 98 259 60 21",
    "098 259 6021",
    "098.259.6021",
    "098-259-6021",
    "(098) 259 6021",
    "(+84) 98-259-60-21",
    "0084 (98) 259.60.21",
    "  0982596021\t",
    "098\u00a0259\u00a06021",  # NBSP, as pasted from web pages and spreadsheets
]


@pytest.mark.parametrize("raw", MOBILE_FORMS)
def test_every_accepted_form_of_a_mobile_number_normalises_to_the_same_national_form(raw):
    assert normalize(raw) == PhoneNumber("0982596021", Network.VIETTEL, "Viettel")


FIXED_FORMS = ["02438261234", "842438261234", "+842438261234", "00842438261234", "(024) 3826 1234", "+84 24 3826 1234"]


@pytest.mark.parametrize("raw", FIXED_FORMS)
def test_every_accepted_form_of_a_fixed_line_normalises_to_the_same_national_form(raw):
    assert normalize(raw) == PhoneNumber("02438261234", Network.TEL, "fixed line")


def test_a_fixed_line_has_11_characters_in_the_stored_form_and_a_mobile_10():
    assert len(normalize("024 3826 1234").national) == 11  # Hanoi: 024 + 8 digits
    assert len(normalize("0236 3822 123").national) == 11  # Da Nang: 0236 + 7 digits
    assert len(normalize("+84 98 259 60 21").national) == 10


def test_e164_is_the_national_form_with_84_instead_of_the_leading_0():
    assert normalize("0982596021").e164 == "84982596021"
    assert normalize("024 3826 1234").e164 == "842438261234"


def test_normalising_the_stored_form_or_e164_again_gives_the_same_number():
    number = normalize("(+84) 98-259-60-21")
    assert normalize(number.national) == number
    assert normalize(number.e164) == number


def test_a_phone_number_is_immutable():
    number = normalize("0982596021")
    with pytest.raises(dataclasses.FrozenInstanceError):
        number.national = "0912345678"  # type: ignore[misc]


# --- refusals, each with its reason -------------------------------------------------------------

NOT_A_DIGIT = "which is not a digit (only spaces, '.', '-', '(' and ')' may separate digits)"
REFUSALS = [
    ("", "it is empty"),
    ("   ", "it is empty"),
    ("0123", "a mobile number has 10 digits (0 + 9), got 4"),
    ("098259602", "a mobile number has 10 digits (0 + 9), got 9"),
    ("09825960211", "a mobile number has 10 digits (0 + 9), got 11"),
    ("+84 98 259 60", "a mobile number has 10 digits (0 + 9), got 8"),
    ("0243826123", "a fixed-line number has 11 digits (0 + 10), got 10"),
    ("024382612345", "a fixed-line number has 11 digits (0 + 10), got 12"),
    ("0982abc021", f"it contains 'a', {NOT_A_DIGIT}"),
    ("0982/596/021", f"it contains '/', {NOT_A_DIGIT}"),
    ("０９８２５９６０２１", f"it contains '０', {NOT_A_DIGIT}"),  # full-width digits
    ("0982+596021", "'+' is only allowed at the start"),
    ("+", "it has no digits"),
    ("+1 415 555 0100", "after '+' only the Vietnamese country code 84 is accepted"),
    ("+855 12 345 678", "after '+' only the Vietnamese country code 84 is accepted"),
    ("0044 20 7946 0000", "00 starts an international number and only 0084 (Vietnam) is accepted"),
    ("0012345678", "00 starts an international number and only 0084 (Vietnam) is accepted"),
    ("+84 0982596021", "drop the 0 after the country code 84 (write +84 98..., not +84 098...)"),
    ("840982596021", "drop the 0 after the country code 84 (write +84 98..., not +84 098...)"),
    ("982596021", "it must start with 0, 84, +84 or 0084 (a spreadsheet may have dropped the leading 0)"),
    ("1900 1234", "it must start with 0, 84, +84 or 0084 (a spreadsheet may have dropped the leading 0)"),
    (
        "01689123456",
        "11-digit 01x mobile numbers were renumbered to 10 digits in 2018: 0168 became 038, "
        "so this number is now 0389123456",
    ),
    (
        "0120 123 4567",
        "11-digit 01x mobile numbers were renumbered to 10 digits in 2018: 0120 became 070, "
        "so this number is now 0701234567",
    ),
    ("01301234567", "11-digit 01x mobile numbers were renumbered to 10 digits in 2018"),
    ("0951234567", "prefix 095 is not assigned to any Vietnamese network"),
]


@pytest.mark.parametrize(("raw", "why"), REFUSALS)
def test_an_invalid_number_is_refused_with_a_reason_an_api_can_show(raw, why):
    with pytest.raises(InvalidNumber) as caught:
        normalize(raw)
    shown = raw.strip() or '""'
    assert caught.value.reason == f"{shown} is not a Vietnamese phone number: {why}"


def test_the_reason_is_also_the_exception_message_and_it_is_a_value_error():
    with pytest.raises(ValueError) as caught:
        normalize("0123")
    assert isinstance(caught.value, InvalidNumber)
    assert str(caught.value) == caught.value.reason


def test_a_long_input_is_cut_short_in_the_reason():
    with pytest.raises(InvalidNumber) as caught:
        normalize("0" * 200)
    assert caught.value.reason.startswith("0" * 40 + "… is not a Vietnamese phone number")


def test_something_that_is_not_text_is_refused_not_crashed_on():
    with pytest.raises(InvalidNumber, match="it is not text"):
        normalize(982596021)  # type: ignore[arg-type]


# --- speed --------------------------------------------------------------------------------------


def test_normalising_a_bulk_lead_import_records_its_speed(record_property):
    raws = ["+84 98 259 60 21", "0912345678", "024 3826 1234"] * 10_000
    start = time.perf_counter()
    for raw in raws:
        normalize(raw)
    elapsed = time.perf_counter() - start
    # About 1-2 µs per number here: informational, never asserted (a loaded 2-core machine is no
    # benchmark; CONTRIBUTING.md). What it guards: every number normalises, none is refused.
    record_property("normalize_us_per_number", round(elapsed / len(raws) * 1e6, 2))
    assert all(normalize(raw) for raw in raws[:3])
