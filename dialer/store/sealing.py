"""Sealing: lead numbers and fields encrypted at rest (campaign ``enable_encrypt``).

A sealed value is text that says what it is::

    enc:v1:<kid>:<urlsafe base64 of nonce (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes)>

AES-256-GCM (``cryptography``'s AESGCM), a fresh random 96-bit nonce per
value, and as associated data ``v1:<kid>:<context>``, where the context
names the record and field the value belongs to (``lead:<uuid>:numbers``,
``call:<uuid>:answered_number``, ``webhook:<campaign>:body``): a value
copied to another lead, call or field does not open there, and any change
to a sealed value is refused (:class:`CannotOpen`), never shown altered.

``<kid>`` is the first 8 hex digits of SHA-256 over a fixed label and the
key: it picks the key that opens a value, so old keys
(``AUTOCALL_ENCRYPTION_OLD_KEYS``) keep opening what they sealed while the
current key (``AUTOCALL_ENCRYPTION_KEY``) seals everything new.

A value without the ``enc:`` prefix is plain text and opens to itself:
campaigns without ``enable_encrypt``, and data written before it was
turned on, keep working.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc:"
VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_SEALED = re.compile(r"^enc:v1:([0-9a-f]{8}):([A-Za-z0-9_-]+={0,2})$")
_KID_LABEL = b"autocall sealing key id\x00"
_DIGEST_LABEL = b"autocall index key\x00"
KEY_HELP = (
    "32 random bytes in base64, e.g. from "
    "`python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
    " or `openssl rand -base64 32`"
)


class SealError(ValueError):
    """A value cannot be sealed or opened (a ValueError: callers that treat bad input as
    a failed try, such as the webhook sender, need nothing more)."""


class NoKey(SealError):
    """No ``AUTOCALL_ENCRYPTION_KEY``: nothing can be sealed."""


class CannotOpen(SealError):
    """The value was sealed with a key this process does not have, or was changed."""


def parse_key(text: str, name: str = "AUTOCALL_ENCRYPTION_KEY") -> bytes:
    """A key from its base64 text (standard or urlsafe, padding optional): exactly 32 bytes."""
    raw = text.strip()
    if not raw:
        raise ValueError(f"{name} is empty")
    padded = raw + "=" * (-len(raw) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} is not base64: it must be {KEY_HELP}") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{name} decodes to {len(key)} bytes, not {KEY_BYTES}: it must be {KEY_HELP}")
    return key


def key_id(key: bytes) -> str:
    """The key's id in sealed values: 8 hex digits of SHA-256(label ‖ key); reveals nothing of the key."""
    return hashlib.sha256(_KID_LABEL + key).hexdigest()[:8]


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


class Sealer:
    """Seals text with the current key; opens text sealed with it or with an old key.

    ``Sealer()`` has no key: it opens plain text (itself) and refuses to seal
    (:class:`NoKey`) or to open a sealed value (:class:`CannotOpen`).
    """

    def __init__(self, key: str | bytes | None = None, old_keys: Iterable[str | bytes] = ()) -> None:
        self._ciphers: dict[str, AESGCM] = {}
        self._current: tuple[str, AESGCM] | None = None
        self._digest_key = b""
        for n, k in enumerate(old_keys):
            raw = parse_key(k, f"AUTOCALL_ENCRYPTION_OLD_KEYS[{n}]") if isinstance(k, str) else k
            self._ciphers[key_id(raw)] = AESGCM(raw)
        if key:
            raw = parse_key(key) if isinstance(key, str) else key
            if len(raw) != KEY_BYTES:
                raise ValueError(f"AUTOCALL_ENCRYPTION_KEY must be {KEY_BYTES} bytes")
            kid = key_id(raw)
            self._current = (kid, AESGCM(raw))
            self._digest_key = hashlib.sha256(_DIGEST_LABEL + raw).digest()  # never the sealing key itself
            self._ciphers[kid] = self._current[1]

    @classmethod
    def from_settings(cls, settings: object) -> Sealer:
        """From ``AUTOCALL_ENCRYPTION_KEY`` and ``AUTOCALL_ENCRYPTION_OLD_KEYS`` (comma-separated)."""

        def text(name: str) -> str:
            value = getattr(settings, name, "") or ""
            return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)

        key, old = text("encryption_key").strip(), text("encryption_old_keys")
        return cls(key or None, [k.strip() for k in old.split(",") if k.strip()])

    @property
    def ready(self) -> bool:
        """Whether this process can seal (has ``AUTOCALL_ENCRYPTION_KEY``)."""
        return self._current is not None

    @property
    def key_id(self) -> str:
        return self._current[0] if self._current else ""

    @staticmethod
    def _aad(kid: str, context: str) -> bytes:
        return f"{VERSION}:{kid}:{context}".encode()

    def seal(self, text: str, context: str) -> str:
        if self._current is None:
            raise NoKey("AUTOCALL_ENCRYPTION_KEY is not set: values of an enable_encrypt campaign cannot be sealed")
        kid, cipher = self._current
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + cipher.encrypt(nonce, text.encode("utf-8"), self._aad(kid, context))
        return f"{PREFIX}{VERSION}:{kid}:{base64.urlsafe_b64encode(blob).decode('ascii')}"

    def digest(self, text: str) -> str:
        """A keyed fingerprint of ``text`` (HMAC-SHA256 under a key derived from the current one):
        equal texts give equal digests, and the text cannot be read back. Used where a sealed value
        must still be found by equality (a lead's numbers in the duplicate index). A digest made
        before a key rotation does not match one made after it."""
        if self._current is None:
            raise NoKey("AUTOCALL_ENCRYPTION_KEY is not set: values of an enable_encrypt campaign cannot be indexed")
        mac = hmac.new(self._digest_key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        return f"h:{self._current[0]}:{mac}"

    def open(self, value: str, context: str) -> str:
        """The plain text of ``value``; a value that is not sealed is returned as it is."""
        if not is_sealed(value):
            return value
        match = _SEALED.match(value)
        if match is None:
            raise CannotOpen(f"{context}: not a sealed value of a known version")
        kid, text = match.groups()
        cipher = self._ciphers.get(kid)
        if cipher is None:
            if not self._ciphers:
                raise CannotOpen(f"{context}: sealed with key {kid}, and AUTOCALL_ENCRYPTION_KEY is not set")
            raise CannotOpen(
                f"{context}: sealed with key {kid}, which is neither AUTOCALL_ENCRYPTION_KEY "
                f"nor one of AUTOCALL_ENCRYPTION_OLD_KEYS"
            )
        try:
            blob = base64.urlsafe_b64decode(text)
        except (binascii.Error, ValueError):
            raise CannotOpen(f"{context}: the sealed value is damaged") from None
        if len(blob) < NONCE_BYTES + 16:
            raise CannotOpen(f"{context}: the sealed value is damaged")
        try:
            plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._aad(kid, context))
        except InvalidTag:
            raise CannotOpen(f"{context}: the sealed value was changed, or belongs to another record") from None
        return plain.decode("utf-8")
