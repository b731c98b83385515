"""What the TTS vendors that answer with an audio URL (FPT.AI, Vbee, Zalo AI) add to :mod:`tts.engines.vendor_call`.

Those vendors answer a POST with JSON naming an audio file (FPT.AI's ``async``,
Vbee's ``audio_link`` once its job is done, Zalo's ``data.url``) that may appear
only seconds later. Each engine (``tts/engines/fpt.py``, ``vbee.py``,
``zalo.py``) builds its vendor's request and reads its answer; the exchange itself
and the error wording are :mod:`tts.engines.vendor_call`'s; this module holds the rest:

- :func:`deadline`: **one overall deadline** per synthesis, covering the POST,
  every poll and the audio download (``poll_timeout``); each single exchange is
  also bounded by the client's ``timeout``. Polls sleep with ``gevent.sleep``.
- :func:`audio_url`: the **host policy** for a URL taken from a vendor's answer:
  ``https`` only, or ``http`` when the configured API URL itself is ``http``
  (a local stub, a test endpoint); no user-info; any host (vendors serve audio
  from their own CDN or cloud storage, e.g. ``file01.fpt.ai``,
  ``s3-ap-southeast-1.amazonaws.com``, ``chunk.lab.zalo.ai``, and rename them);
  no credential is ever sent to it; redirects are not followed (a 3xx is an error).
- :func:`fetch_audio`: GET that URL until it holds audio: 403, 404 and an empty
  200 mean "not there yet" (storage answers so before the file is written),
  anything else that is not audio is an error; the audio is decoded with
  :func:`tts.engines.decode.decode_audio` (WAV or MP3 sniffed from the bytes).
- :func:`join_pcm`: the PCM of the pieces a long text was cut into
  (:func:`tts.engines.vendor_call.split_text`) put back together.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterator

import gevent

from tts.engines.base import SynthesisError
from tts.engines.decode import decode_audio
from tts.engines.vendor_call import Vendor, audible, snippet, vendor_error


class _Overdue(BaseException):
    """The overall deadline (a BaseException, so no ``except Exception`` on the way swallows it)."""


@contextlib.contextmanager
def deadline(seconds: float, vendor: str) -> Iterator[None]:
    """Everything inside must finish within ``seconds``, else :class:`SynthesisError` (the request in flight is
    cut off and its connection closed)."""
    overdue = _Overdue()
    timer = gevent.Timeout(seconds, overdue)
    timer.start()
    try:
        yield
    except _Overdue as exc:
        if exc is not overdue:
            raise
        raise SynthesisError(
            f"{vendor}: no audio within {seconds:g} s (poll_timeout: the request, the polls and the download)"
        ) from None
    finally:
        timer.cancel()


def audio_url(link: object, api_url: str, vendor: str) -> str:
    """``link`` (from the vendor's answer) if the host policy allows it (see the module docstring)."""
    if not isinstance(link, str) or not link:
        raise SynthesisError(f"{vendor}: the answer holds no audio URL ({link!r})")
    parts = urllib.parse.urlsplit(link)
    allowed = ("https", "http") if urllib.parse.urlsplit(api_url).scheme == "http" else ("https",)
    if parts.scheme not in allowed or not parts.hostname or "@" in parts.netloc:
        raise SynthesisError(
            f"{vendor}: audio URL refused (need {' or '.join(allowed)}, a host, no user-info): {link[:200]}"
        )
    return link


def fetch_audio(vendor: Vendor, link: str, interval: float) -> tuple[bytes, int]:
    """(mono PCM, rate) of the audio at ``link``, polled every ``interval`` s until it is there (within the
    caller's :func:`deadline`). No vendor credential is sent: the URL comes from the vendor's answer."""
    host = urllib.parse.urlsplit(link).netloc
    while True:
        answer = vendor.request("GET", link, {"Accept": "audio/wav, audio/mpeg, */*"})
        if answer.status == 200 and answer.body:
            return decode_audio(answer.body, f"{vendor.name} audio URL ({host})")
        if answer.status not in (200, 403, 404):  # those three: the file is not written yet
            raise vendor_error(
                f"{vendor.name} audio URL ({host})", answer.status, None, snippet(answer.body), answer.headers
            )
        gevent.sleep(interval)


def join_pcm(parts: list[tuple[bytes, int]], vendor: str) -> tuple[bytes, int]:
    """The pieces' PCM end to end, checked to be one rate and not silent."""
    rates = {rate for _, rate in parts}
    if len(rates) != 1:
        raise SynthesisError(f"{vendor}: the pieces of one text came back at different rates {sorted(rates)}")
    return audible(vendor, b"".join(pcm for pcm, _ in parts)), rates.pop()
