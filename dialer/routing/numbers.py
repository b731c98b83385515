"""Vietnamese phone numbers: accept the forms users type, store one normal form.

Accepted input (separators ``space``, NBSP, tab, ``.``, ``-``, ``(`` and ``)``
are dropped anywhere; surrounding whitespace is ignored):

* national ``0xxxxxxxxx`` (``0`` + national significant number),
* international ``84…``, ``+84…`` and ``0084…``.

The stored normal form (:attr:`PhoneNumber.national`) is ``"0"`` + the
national significant number:

* mobile: 10 digits, e.g. ``0982596021``;
* fixed line: 11 digits, ``02`` + area code + subscriber. Since the 2017
  renumbering every fixed-line number has 10 digits after the trunk ``0``:
  Hanoi ``024 3826 1234`` -> ``02438261234``, Da Nang ``0236 3xx xxxx``.

Everything else raises :class:`InvalidNumber` whose ``reason`` says why, in
words an API can return as is.

The network comes from the 3-digit prefix (:data:`PREFIXES`). This is a
routing heuristic only: numbers have been portable between carriers since
2018 (about 1.4 % are ported), so the prefix names the carrier the number was
first issued by.

``normalize`` runs once per imported lead, so it sticks to C-level ``str``
methods (``translate``, ``isdigit``, slicing, one dict lookup) and builds an
error message only on the failure path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

from dialer.domain.enums import Network

__all__ = ["PREFIXES", "InvalidNumber", "PhoneNumber", "PrefixOwner", "normalize"]


class PrefixOwner(NamedTuple):
    network: Network
    carrier: str  # human name of the carrier the prefix was issued to


_VIETTEL: Final = PrefixOwner(Network.VIETTEL, "Viettel")
_MOBIFONE: Final = PrefixOwner(Network.MOBI, "Mobifone")
_VINAPHONE: Final = PrefixOwner(Network.VINA, "Vinaphone")
_VIETNAMOBILE: Final = PrefixOwner(Network.OFFNET, "Vietnamobile")
_GMOBILE: Final = PrefixOwner(Network.OFFNET, "Gmobile")
_ITELECOM: Final = PrefixOwner(Network.OFFNET, "Itelecom")
_REDDI: Final = PrefixOwner(Network.OFFNET, "Reddi")
_FIXED: Final = PrefixOwner(Network.TEL, "fixed line")

# The first three digits of the national form -> who issued them. A prefix not
# listed here is not a Vietnamese number (normalize refuses it).
PREFIXES: Final[dict[str, PrefixOwner]] = {
    **dict.fromkeys(("032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098"), _VIETTEL),
    **dict.fromkeys(("070", "076", "077", "078", "079", "089", "090", "093"), _MOBIFONE),
    **dict.fromkeys(("081", "082", "083", "084", "085", "088", "091", "094"), _VINAPHONE),
    **dict.fromkeys(("052", "056", "058", "092"), _VIETNAMOBILE),
    **dict.fromkeys(("059", "099"), _GMOBILE),
    **dict.fromkeys(("087",), _ITELECOM),
    **dict.fromkeys(("055",), _REDDI),
    # Fixed lines: 02 + area code (024 Hanoi, 028 Ho Chi Minh City, 0236 Da Nang, ...).
    **dict.fromkeys(("020", "021", "022", "023", "024", "025", "026", "027", "028", "029"), _FIXED),
}

MOBILE_LENGTH: Final = 10  # "0" + 9 digits
FIXED_LENGTH: Final = 11  # "0" + "2" + area code + subscriber = "0" + 10 digits

# The 2018 move of 11-digit 01xx mobile numbers to 10 digits (old 4-digit
# prefix -> new 3-digit prefix), used only to tell the user the new number.
_RENUMBERED_2018: Final[dict[str, str]] = {
    **{f"016{d}": f"03{d}" for d in "23456789"},  # Viettel 0162..0169 -> 032..039
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",  # Mobifone
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",  # Vinaphone
    "0186": "056",
    "0188": "058",  # Vietnamobile
    "0199": "059",  # Gmobile
}

# Dropped anywhere in the input: what people put between digit groups.
_SEPARATORS: Final = str.maketrans("", "", " \t\u00a0.-()")
_SEPARATOR_NAMES: Final = "spaces, '.', '-', '(' and ')'"
_SHOWN_MAX: Final = 40  # longest input echoed back in a reason


class InvalidNumber(ValueError):
    """``reason`` is a complete English sentence an API can return to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    national: str  # the stored normal form: "0" + national significant number
    network: Network
    carrier: str  # "Viettel", "Mobifone", ..., "fixed line"

    @property
    def e164(self) -> str:
        """E.164 digits without '+': ``0982596021`` -> ``84982596021``."""
        return "84" + self.national[1:]


def normalize(raw: str) -> PhoneNumber:
    """Parse any accepted form of a Vietnamese number; raise :class:`InvalidNumber` otherwise."""
    if not isinstance(raw, str):
        raise InvalidNumber(f"{raw!r} is not a Vietnamese phone number: it is not text")
    text = raw.strip()
    national = _national_form(text, text.translate(_SEPARATORS))
    owner = _prefix_owner(text, national)
    return PhoneNumber(national, owner.network, owner.carrier)


def _national_form(text: str, compact: str) -> str:
    """``compact`` (separators removed) -> "0" + national significant number."""
    if not compact:
        raise _invalid(text, "it is empty")
    plus = compact[0] == "+"
    digits = compact[1:] if plus else compact
    # isascii() first: str.isdigit() alone also accepts "٣" or "３".
    if not (digits.isascii() and digits.isdigit()):
        raise _invalid(text, _bad_character(digits))
    if plus:
        if not digits.startswith("84"):
            raise _invalid(text, "after '+' only the Vietnamese country code 84 is accepted")
        return _after_country_code(text, digits[2:])
    if digits.startswith("0084"):
        return _after_country_code(text, digits[4:])
    if digits.startswith("00"):
        raise _invalid(text, "00 starts an international number and only 0084 (Vietnam) is accepted")
    if digits.startswith("84"):  # a national form starts with 0, so 84... is never ambiguous
        return _after_country_code(text, digits[2:])
    if digits.startswith("0"):
        return digits
    raise _invalid(text, "it must start with 0, 84, +84 or 0084 (a spreadsheet may have dropped the leading 0)")


def _after_country_code(text: str, significant: str) -> str:
    if significant.startswith("0"):
        raise _invalid(text, "drop the 0 after the country code 84 (write +84 98..., not +84 098...)")
    return "0" + significant


def _prefix_owner(text: str, national: str) -> PrefixOwner:
    # Length first (it is what users get wrong most), then the prefix.
    if len(national) == 11 and national.startswith("01"):
        raise _invalid(text, _renumbered(national))
    if national.startswith("02"):
        expected, kind = FIXED_LENGTH, "a fixed-line number has 11 digits (0 + 10)"
    else:
        expected, kind = MOBILE_LENGTH, "a mobile number has 10 digits (0 + 9)"
    if len(national) != expected:
        raise _invalid(text, f"{kind}, got {len(national)}")
    owner = PREFIXES.get(national[:3])
    if owner is None:
        raise _invalid(text, f"prefix {national[:3]} is not assigned to any Vietnamese network")
    return owner


def _renumbered(national: str) -> str:
    why = "11-digit 01x mobile numbers were renumbered to 10 digits in 2018"
    new_prefix = _RENUMBERED_2018.get(national[:4])
    if new_prefix is None:
        return why
    return f"{why}: {national[:4]} became {new_prefix}, so this number is now {new_prefix}{national[4:]}"


def _bad_character(digits: str) -> str:
    if not digits:
        return "it has no digits"
    bad = next(c for c in digits if not ("0" <= c <= "9"))
    if bad == "+":
        return "'+' is only allowed at the start"
    return f"it contains {bad!r}, which is not a digit (only {_SEPARATOR_NAMES} may separate digits)"


def _invalid(text: str, why: str) -> InvalidNumber:
    if not text:
        shown = '""'
    elif len(text) > _SHOWN_MAX:
        shown = text[:_SHOWN_MAX] + "…"
    else:
        shown = text
    return InvalidNumber(f"{shown} is not a Vietnamese phone number: {why}")
