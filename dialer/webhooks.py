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
* a receiver's deliveries go out over at most ``per_host`` connections
  (``host:port``; ``concurrency`` in all), one POST at a time on each, so at
  most ``per_host`` are in flight to one receiver; the others for it wait in
  the queue (no try counted) while other receivers are served;
* the sender claims only what its connections have room for (at most
  ``AHEAD`` held by one, sent one after another), so a claimed delivery is sent
  soon, never waiting for a slot while its lease runs: after a POST that took
  ``timeout / 10`` or more, its connection gives the deliveries it holds back to
  the queue (due at once, no try counted) rather than keep them behind a slow
  receiver.

Redis work is batched (issue 17): one script call forgets the deliveries sent
since the last one and claims more with their bodies. With more due than the
connections hold, the sender claims again as soon as one runs low; while it
keeps up, it claims every ``BUSY_WAIT`` (``IDLE_WAIT`` after a claim that found
nothing), so deliveries queued meanwhile share one round trip. A delivery is
forgotten a little after its 2xx (at the next claim, at most ~50 ms later, or
when the sender stops or, claiming by hand, once no POST is left); a crash in
that moment sends it again after its lease, as any crash between a 2xx and its
forgetting always could (receivers drop duplicates by ``X-Autocall-Delivery``).

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

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
import gevent.event
import gevent.pool

from dialer.store.errors import StoreError
from dialer.store.script_results import LeasedDelivery
from dialer.store.store import Store
from dialer.webhook_guard import AddressRefused, connector
from dialer.webhook_requests import (
    BODY_WAIT,
    DELIVERY_HEADER,
    MAX_ANSWER_BYTES,
    SIGNATURE_HEADER,
    USER_AGENT,
    HTTPError,
    backoff_ms,
    describe,
    receiver_of,
    signature,
)
from httpclient import Client

log = logging.getLogger("autocall.webhooks")
MAX_TRIES = 15
LEASE_MS = 60_000
PER_HOST = 4  # deliveries in flight to one receiver (host:port) per sender
AHEAD = 8  # claimed deliveries one connection holds, sent one after another
BUSY_WAIT = 0.05  # seconds between claims while sending (deliveries gather for one round trip)
IDLE_WAIT = 0.5  # seconds between claims when the last found nothing to send


@dataclass(slots=True)
class Lane:
    """One connection's deliveries to one receiver, sent one after another by one greenlet (the first
    is in flight)."""

    receiver: str
    held: deque[LeasedDelivery] = field(default_factory=deque)


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
        # A held delivery waits behind at most AHEAD - 1 POSTs shorter than `slow` (a slower one gives the
        # rest back), then takes at most `timeout` itself: 1.7 x timeout, well within its lease.
        self.lease_ms = max(LEASE_MS, int(3000 * timeout))
        self.slow = timeout / 10
        self.pool = gevent.pool.Pool(concurrency)  # one greenlet per lane (connection)
        self.lanes: dict[str, list[Lane]] = {}  # receiver -> its lanes
        self._sent: list[str] = []  # delivered (or gone): forgotten with the next claim
        self._wake = gevent.event.Event()  # in a backlog, a lane runs low: claim (and forget) now
        self._backlog = False  # the last claim left due deliveries behind
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        # A POST ends within its deadline; one still running after it (writing to Redis) is stopped:
        # its delivery stays leased and is taken again when the lease ends.
        self.pool.join(timeout=self.timeout)
        self.pool.kill()
        self._forget_sent()
        self.client.close()

    def _run(self) -> None:
        while True:
            self._wake.clear()  # before claiming: a lane running low meanwhile wakes the wait below at once
            try:
                claimed = self.deliver_due()
            except StoreError as exc:
                log.error("webhook queue unreachable", extra={"error": str(exc)})
                claimed = 0
            if self._backlog:
                self._wake.wait(BUSY_WAIT)  # more is due: claim again as soon as a lane runs low
            else:
                # The sender keeps up: due deliveries gather for the next claim, one round trip for them all
                # (and for forgetting the ones delivered meanwhile), rather than one each as they come.
                gevent.sleep(BUSY_WAIT if claimed or self.lanes or self._sent else IDLE_WAIT)

    def deliver_due(self, limit: int = 100) -> int:
        """Forget what was delivered, claim the due deliveries the lanes have room for (never more than
        ``per_host`` lanes to one receiver) and start sending them. Never waits for a slot. Returns how
        many were claimed."""
        free = self.pool.free_count()
        held = {host: (len(lanes), sum(AHEAD - len(lane.held) for lane in lanes)) for host, lanes in self.lanes.items()}
        limit = min(limit, free * AHEAD + sum(room for _, room in held.values()))
        if limit <= 0 and not self._sent:
            self._backlog = limit <= 0 < len(self.lanes)  # every lane full: wait for one to run low
            return 0
        sent, self._sent = self._sent, []
        try:
            leased, more = self.store.webhook_queue.lease(
                int(self.clock() * 1000),
                self.lease_ms,
                limit,
                per_host=self.per_host,
                ahead=AHEAD,
                free=free,
                held=held,
                delivered=sent,
            )
        except BaseException:
            self._sent[:0] = sent  # forgotten with the next claim
            raise
        for delivery in leased:
            self._place(delivery)
        self._backlog = more  # more is due than the lanes had room for
        return len(leased)

    def _place(self, delivery: LeasedDelivery) -> None:
        """Into a new lane while its receiver has fewer than ``per_host`` (spreading its deliveries over its
        connections), else the lane holding fewest."""
        lanes = self.lanes.setdefault(delivery.receiver, [])
        if (not self.per_host or len(lanes) < self.per_host) and self.pool.free_count() > 0:
            lane = Lane(delivery.receiver)
            lanes.append(lane)
            lane.held.append(delivery)
            self.pool.spawn(self._send, lane)
        elif lanes:
            min(lanes, key=lambda lane: len(lane.held)).held.append(delivery)
        else:  # not claimed for a lane this sender has (cannot happen: the claim counted them): due again
            del self.lanes[delivery.receiver]
            self.store.webhook_queue.release([delivery.delivery], int(self.clock() * 1000))

    def _send(self, lane: Lane) -> None:
        try:
            while lane.held:
                delivery = lane.held[0]
                started = time.monotonic()
                try:
                    if self._attempt(delivery.delivery, delivery.fields):
                        self._sent.append(delivery.delivery)
                except Exception as exc:  # Redis unreachable (or a bug): the lease brings the delivery back later
                    message = "webhook queue unreachable" if isinstance(exc, StoreError) else "webhook sender error"
                    extra = {"delivery": delivery.delivery, "host": lane.receiver, "error": describe(exc)}
                    log.error(message, extra=extra)
                lane.held.popleft()
                if len(lane.held) <= AHEAD // 2:
                    self._wake.set()
                if lane.held and time.monotonic() - started >= self.slow:
                    self._give_back(lane)
        finally:
            lanes = self.lanes.get(lane.receiver, [])
            if lane in lanes:
                lanes.remove(lane)
            if not lanes:
                self.lanes.pop(lane.receiver, None)
            self._wake.set()
            if self._greenlet is None and not self.lanes:  # no claim loop (deliver_due called alone)
                self._forget_sent()

    def _give_back(self, lane: Lane) -> None:
        """A slow receiver: what the lane holds behind its last POST goes back to the queue, due now."""
        held = [delivery.delivery for delivery in lane.held]
        lane.held.clear()
        try:
            self.store.webhook_queue.release(held, int(self.clock() * 1000))
        except StoreError as exc:  # still leased: taken again when the lease ends
            log.error("webhook queue unreachable", extra={"host": lane.receiver, "error": str(exc)})

    def _forget_sent(self) -> None:
        """Forget the delivered deliveries now, in one transaction (the claim loop does it with its next
        claim). If Redis fails, they stay leased and are sent again when their lease ends (logged once)."""
        sent, self._sent = self._sent, []
        if not sent:
            return
        try:
            self.store.webhook_queue.delivered_many(sent)
        except StoreError as exc:
            log.error(
                "webhook queue unreachable",
                extra={"deliveries": len(sent), "delivery": sent[0], "error": describe(exc)},
            )

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
        if not self._attempt(delivery, data):
            return False
        self.store.webhook_queue.delivered(delivery)
        return True

    def _attempt(self, delivery: str, data: dict[str, str]) -> bool:
        """POST a delivery whose hash is ``data``: True when it is delivered or gone (to forget), False
        after a failed try (recorded). Raises only when Redis cannot be reached."""
        if not data:
            return True  # its hash is gone: nothing to send
        try:
            # enable_encrypt: the body is stored sealed; one that cannot be opened (SealError,
            # a ValueError) counts as a failed try and ends in the dead list with the reason.
            self.post(data.get("url", ""), self.store.sealed.open_webhook_body(data), delivery)
        except Exception as exc:  # every failure is a try: status, deadline, socket, protocol garbage...
            self._failed(delivery, data, exc)
            return False
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
