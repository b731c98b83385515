"""A Google service account's OAuth 2.0 access token, minted from its key file and kept until shortly before it expires.

How (the JWT bearer grant of RFC 7523, as Google's server-to-server flow uses it; Google's own page,
https://developers.google.com/identity/protocols/oauth2/service-account, was not in the stored
corpus: the shape below is RFC 7523's and that of Google's client libraries, [3p]):

- the key file is the JSON a service account's "Keys" tab downloads: ``client_email``,
  ``private_key`` (PEM), ``private_key_id``, ``token_uri`` (``https://oauth2.googleapis.com/token``);
- a JWT ``{"alg": "RS256", "typ": "JWT", "kid": private_key_id}`` . ``{"iss": client_email,
  "scope": "https://www.googleapis.com/auth/cloud-platform", "aud": token_uri, "iat": now,
  "exp": now + 3600}``, signed RS256 with ``cryptography`` (already a dependency);
- ``POST token_uri`` as a form: ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>``;
  the answer ``{"access_token", "expires_in", "token_type": "Bearer"}`` or an OAuth error
  ``{"error", "error_description"}``.

One token serves every request until 60 s before ``expires_in`` runs out; then the next request mints
another (one greenlet mints, the others wait for it). The token URL comes from the key file, so a
test's stub can stand in for Google's.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from gevent.lock import BoundedSemaphore

from tts.engines.vendor_call import Vendor, check_url, limit_status, refused, snippet

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_SECONDS = 3600  # the longest Google accepts
REFRESH_MARGIN = 60.0  # seconds before expiry a new token is minted: no request leaves with one about to lapse


@dataclass(frozen=True)
class ServiceAccount:
    """What a key file holds that the token exchange needs."""

    client_email: str
    private_key: rsa.RSAPrivateKey
    private_key_id: str
    token_uri: str


def load_service_account(path: Path) -> ServiceAccount:
    """The service account in the key file at ``path``; ValueError saying what is wrong with it."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"Google credentials_file {str(path)!r} is not readable JSON: {exc}") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError(f"Google credentials_file {str(path)!r} is not a service account key (type service_account)")
    missing = [k for k in ("client_email", "private_key", "token_uri") if not isinstance(info.get(k), str)]
    if missing:
        raise ValueError(f"Google credentials_file {str(path)!r} lacks {', '.join(missing)}")
    try:
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Google credentials_file {str(path)!r}: private_key is not a PEM key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"Google credentials_file {str(path)!r}: private_key is not an RSA key (RS256 needs one)")
    token_uri = check_url(info["token_uri"], f"Google credentials_file {str(path)!r} token_uri")
    return ServiceAccount(info["client_email"], key, str(info.get("private_key_id", "")), token_uri)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def assertion(account: ServiceAccount, now: float) -> str:
    """The signed JWT that asks ``account.token_uri`` for a cloud-platform token, issued at ``now`` (epoch seconds)."""
    header = {"alg": "RS256", "typ": "JWT"}
    if account.private_key_id:
        header["kid"] = account.private_key_id  # which of the account's keys signed: Google looks it up by this
    claims = {
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": account.token_uri,
        "iat": int(now),
        "exp": int(now) + ASSERTION_SECONDS,
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = account.private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class AccessToken:
    """A bearer token for ``account``, minted on first use and again once it is within a minute of expiry.

    ``clock``: epoch seconds (``time.time``); a test injects its own to expire a token.
    """

    def __init__(self, account: ServiceAccount, vendor: Vendor, clock: Callable[[], float] = time.time) -> None:
        self.account = account
        self.vendor = vendor  # the engine's: its pool, its timeout, its name in errors
        self.clock = clock
        self._token = ""
        self._expires = 0.0
        self._minting = BoundedSemaphore(1)

    def bearer(self) -> str:
        """A token valid for at least another minute (minting one if need be); SynthesisError if Google refuses."""
        with self._minting:
            if not self._token or self.clock() >= self._expires - REFRESH_MARGIN:
                self._token, self._expires = self._exchange()
            return self._token

    def forget(self) -> None:
        """Drop the token (the API refused it): the next request mints a new one."""
        self._token = ""

    def _exchange(self) -> tuple[str, float]:
        now = self.clock()
        form = urllib.parse.urlencode({"grant_type": GRANT_TYPE, "assertion": assertion(self.account, now)})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        where = f"{self.vendor.name} token exchange"
        answer = self.vendor.request("POST", self.account.token_uri, headers, form.encode("ascii"))
        try:
            reply = json.loads(answer.body)
        except ValueError:
            reply = None
        if answer.status != 200 or not isinstance(reply, dict) or not isinstance(reply.get("access_token"), str):
            error = ""
            if isinstance(reply, dict) and "error" in reply:
                error = f"{reply.get('error')}: {reply.get('error_description', '')}".rstrip(": ")
            detail = error or snippet(answer.body)
            said = f"{where} at {self.account.token_uri} answered HTTP {answer.status}: {detail}"
            raise refused(said, limit_status(answer.status), answer.headers)
        lifetime = reply.get("expires_in", ASSERTION_SECONDS)
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = ASSERTION_SECONDS
        return reply["access_token"], now + float(lifetime)
