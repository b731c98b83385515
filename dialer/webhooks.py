"""Webhook delivery: ``callback_url`` (the CDR) and ``answer_callback_url``.

Deliveries are queued in Redis in the same atomic step as the result they
report (finish.lua), so a crash cannot lose one. A sender takes due
deliveries with a lease, POSTs them, deletes them on a 2xx, and otherwise
retries with exponential back-off (1 s doubling to 10 min). After
``MAX_TRIES`` failures a delivery moves to the dead list
(``autocall:webhooks:dead``) with its last error: never silently dropped
(``dialer.service.webhooks`` lists, requeues and deletes dead deliveries).

One bad receiver cannot stop the others:

* each POST has one total deadline (``timeout``: connect, send and every read
  together), so a receiver that drips its answer a byte at a time is cut off;
* the sender claims only as many deliveries as it has free slots, so a claimed
  delivery is sent at once (never waiting for a slot while its lease runs);
* at most ``per_host`` deliveries are in flight to one receiver (``host:port``);
  the others for it wait in the queue (no try counted) while other receivers
  are served.

Every failure counts as a try, whatever it is (an HTTP status other than 2xx,
the deadline, a refused or reset connection, an answer that is not HTTP, a body
that cannot be opened), and logs exactly one line without a traceback: the
delivery, campaign, receiver, tries and error.

Only globally routable receivers are reached unless ``allow_private``
(``AUTOCALL_WEBHOOK_ALLOW_PRIVATE``): every connection checks the addresses
its name resolves to and connects to one it checked (:mod:`dialer.webhook_guard`).
A refused receiver is a failed try like any other, logged
``webhook delivery refused`` with the addresses and why.

POSTs go through one pooled client (:class:`httpclient.Client`):
connections to a receiver are kept alive between deliveries (at most
``per_host`` kept) and redirects are not followed (a 3xx is not a 2xx: a
failed try). A delivery counts by its status alone; the answer's body is read
(and dropped) only to keep the connection: when it comes within ``BODY_WAIT``
of the headers and is at most ``MAX_ANSWER_BYTES``, otherwise the connection
is closed, as it was for every delivery before connections were kept.

Every POST carries ``X-Autocall-Delivery`` (the delivery id: the same on every
retry, so a receiver can drop duplicates) and, when the sender has a secret,
``X-Autocall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
(see :func:`signature` and docs/api-cdrs-webhooks.md for the receiver's check).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable

import gevent
import gevent.event
import gevent.pool

from dialer.store.errors import StoreError
from dialer.store.store import Store
from dialer.webhook_guard import AddressRefused, connector
from httpclient import Client

log = logging.getLogger("autocall.webhooks")
MAX_TRIES = 15
LEASE_MS = 60_000
PER_HOST = 4  # deliveries in flight to one receiver (host:port) per sender
USER_AGENT = "autocall-webhooks/1"
SIGNATURE_HEADER = "X-Autocall-Signature"
DELIVERY_HEADER = "X-Autocall-Delivery"
MAX_ANSWER_BYTES = 64 << 10  # of a receiver's answer body, read (to keep the connection) and dropped
BODY_WAIT = 0.001  # seconds an answer's body may take after its headers to be read (else: not kept, see above)


def backoff_ms(tries: int) -> int:
    return min(1000 * 2 ** max(0, tries - 1), 600_000)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Autocall-Signature`` value: ``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

    The timestamp is signed with the body, so a receiver that also checks it is
    recent (say within 5 minutes) refuses a captured request replayed later.
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class HTTPError(Exception):
    """The receiver answered with a status other than 2xx (``HTTP Error 503: Service Unavailable``)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP Error {status}: {reason}")
        self.status = status


def receiver_of(url: str) -> str:
    """``host:port`` of a URL, as logged (never its path, query or credentials)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return ""
    return f"{parts.hostname or ''}:{port}"


def describe(exc: BaseException) -> str:
    """An error as stored in ``last_error`` and logged: its kind and text, on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    kind = type(exc).__name__
    return (f"{kind}: {text}" if text else kind)[:200]


class WebhookSender:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        concurrency: int = 20,
        per_host: int = PER_HOST,
        max_tries: int = MAX_TRIES,
        secret: str = "",
        allow_private: bool = False,
    ) -> None:
        self.store = store
        self.clock = clock
        self.timeout = timeout  # the whole POST's deadline, seconds
        self.per_host = per_host  # deliveries in flight to one receiver (host:port) at most
        self.max_tries = max_tries
        self.secret = secret  # "" = unsigned (AUTOCALL_WEBHOOK_SECRET)
        # AUTOCALL_WEBHOOK_ALLOW_PRIVATE: loopback/private receivers too
        self.client = Client(timeout=timeout, per_host=per_host, connect=connector(allow_private))
        self.lease_ms = max(LEASE_MS, int(3000 * timeout))  # a claimed delivery is sent well within its lease
        self.pool = gevent.pool.Pool(concurrency)
        self.in_flight: Counter[str] = Counter()  # receiver -> deliveries being sent to it now
        self._freed = gevent.event.Event()  # a slot was freed: claim again without waiting
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
        # A POST ends within its deadline; one still running after it (writing to Redis) is stopped:
        # its delivery stays leased and is taken again when the lease ends.
        self.pool.join(timeout=self.timeout)
        self.pool.kill()
        self.client.close()

    def _run(self) -> None:
        while True:
            self._freed.clear()  # before claiming: a slot freed meanwhile wakes the wait below at once
            try:
                sent = self.deliver_due()
            except StoreError as exc:
                log.error("webhook queue unreachable", extra={"error": str(exc)})
                sent = 0
            self._freed.wait(0.05 if sent else 0.5)

    def deliver_due(self, limit: int = 100) -> int:
        """Claim as many due deliveries as there are free slots (never more than ``per_host`` in flight
        to one receiver) and start sending them. Never waits for a slot. Returns how many were claimed."""
        free = min(limit, self.pool.free_count())
        if free <= 0:
            return 0
        busy = {host: n for host, n in self.in_flight.items() if n > 0}
        claimed = self.store.webhook_queue.claim_capped(
            int(self.clock() * 1000), self.lease_ms, free, per_host=self.per_host, busy=busy
        )
        for delivery, host in claimed:
            self.in_flight[host] += 1
            self.pool.spawn(self._send, delivery, host)
        return len(claimed)

    def _send(self, delivery: str, host: str) -> None:
        try:
            self.deliver(delivery)
        except Exception as exc:  # Redis unreachable (or a bug): the lease brings the delivery back later
            message = "webhook queue unreachable" if isinstance(exc, StoreError) else "webhook sender error"
            log.error(message, extra={"delivery": delivery, "host": host, "error": describe(exc)})
        finally:
            self.in_flight[host] -= 1
            if self.in_flight[host] <= 0:
                del self.in_flight[host]
            self._freed.set()

    def headers(self, body: bytes, delivery: str = "") -> dict[str, str]:
        """The headers of one POST: content type, user agent, delivery id and, with a secret, the signature."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if delivery:
            headers[DELIVERY_HEADER] = delivery
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body, int(self.clock()))
        return headers

    def post(self, url: str, body: str, delivery: str = "") -> None:
        """POST and read the answer within one deadline; anything but a 2xx in time raises."""
        data = body.encode("utf-8")
        # The status decides; the body is read only to keep the connection, if it comes at once.
        headers = self.headers(data, delivery)
        answer = self.client.post(url, data, headers, max_body=MAX_ANSWER_BYTES, body_wait=BODY_WAIT)
        if not 200 <= answer.status < 300:
            raise HTTPError(answer.status, answer.reason)

    def deliver(self, delivery: str) -> bool:
        """Send one delivery: True when delivered; on any failure, one more try (back-off or, at
        ``max_tries``, the dead list) and one log line. Raises only when Redis cannot be reached."""
        data = self.store.webhook_queue.get(delivery)
        if not data:
            self.store.webhook_queue.delivered(delivery)  # its hash is gone: nothing to send
            return False
        try:
            # enable_encrypt: the body is stored sealed; one that cannot be opened (SealError,
            # a ValueError) counts as a failed try and ends in the dead list with the reason.
            self.post(data.get("url", ""), self.store.sealed.open_webhook_body(data), delivery)
        except Exception as exc:  # every failure is a try: status, deadline, socket, protocol garbage...
            self._failed(delivery, data, exc)
            return False
        self.store.webhook_queue.delivered(delivery)
        return True

    def _failed(self, delivery: str, data: dict[str, str], exc: Exception) -> None:
        tries = int(data.get("tries") or 0) + 1
        error = describe(exc)
        dead = tries >= self.max_tries
        retry_in = backoff_ms(tries)
        self.store.webhook_queue.failed(delivery, tries, error, None if dead else int(self.clock() * 1000) + retry_in)
        extra = {
            "delivery": delivery,
            "campaign": data.get("campaign", ""),
            "host": receiver_of(data.get("url", "")),
            "tries": tries,
            "error": error,
        }
        if dead:
            log.error("webhook failed for good", extra=extra)
        elif isinstance(exc, AddressRefused):  # said apart: retrying helps only once the name or setting changes
            log.warning("webhook delivery refused", extra=extra | {"retry_in_s": retry_in / 1000})
        else:
            log.warning("webhook delivery failed", extra=extra | {"retry_in_s": retry_in / 1000})
