"""Content-addressed audio cache: one WAV per distinct (engine, voice, text, format), LRU-bounded.

Layout: ``<directory>/<key[:2]>/<key>.wav``, ``key`` a SHA-256 hex digest, so
no directory holds more than 1/256 of the files (a campaign can leave
100,000 personalised prompts). Paths handed out are absolute: FreeSWITCH plays
them as given.

- **Single flight.** Concurrent ``get_or_make`` calls for one key (greenlets in
  this process) run ``make`` once; the others wait for its result. A failure
  reaches every waiter and is not cached: the next call tries again. A maker
  cut off by its own caller (:class:`CutOff`: its deadline, a kill) is not a
  failure of the text: a waiter then makes it itself, within its own deadline.
- **Atomic.** ``make`` writes a temporary file (``.<key>.<random>.tmp``, same
  directory); the cache then sets mode 0644 and ``os.replace``-s it into place,
  so a reader sees the whole file or none.
- **Bounded.** After each write, least-recently-used files are deleted until
  the directory's total is within ``max_bytes`` (the file just written is kept
  even if it alone exceeds the bound). Temporary files are never counted or
  evicted. A hit refreshes the file's mtime (the LRU clock, which survives
  restarts; atime is unreliable under ``noatime``/``relatime``).

The index (path, size, recency) lives in memory, built by one scan of the
directory when the cache is made and rescanned every ``rescan_seconds`` during
eviction, so files written by another process sharing the directory are
counted eventually. A file evicted by another process is re-made on the next
request. Not thread-safe: use it from greenlets of one thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from gevent.event import AsyncResult

from tts.engines.base import SynthesisError

MIN_FILE_BYTES = 44  # a WAV header: anything shorter is a torn write (a crash before os.replace) and is ignored
STALE_TMP_SECONDS = 3600.0


class CutOff(SynthesisError):
    """A maker cut off by its own caller (its deadline, a kill), not failed by its engine: a caller waiting
    for the same file tries to make it itself instead of failing with it (its deadline may be later)."""


class AudioCache:
    def __init__(
        self, directory: Path, max_bytes: int = 512 << 20, rescan_seconds: float = 300.0, min_age_seconds: float = 900.0
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.directory = Path(directory).resolve()
        self.max_bytes = int(max_bytes)
        self.rescan_seconds = rescan_seconds
        self.min_age_seconds = min_age_seconds  # a file used this recently is never evicted (it may be playing)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._files: OrderedDict[str, int] = OrderedDict()  # key -> size, least recently used first
        self._total = 0
        self._inflight: dict[str, AsyncResult] = {}
        self._scanned_at = 0.0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.rescan()

    # -- keys and paths -------------------------------------------------------------------

    @staticmethod
    def key(*parts: str) -> str:
        """SHA-256 hex digest of the parts (JSON-encoded, so ("ab", "c") and ("a", "bc") differ)."""
        return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False).encode("utf-8")).hexdigest()

    def path_for(self, key: str) -> Path:
        """Absolute path of the file for ``key`` (which may not exist yet)."""
        if len(key) < 3 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"cache key must be lowercase hex, got {key!r}")
        return self.directory / key[:2] / f"{key}.wav"

    # -- size accounting ------------------------------------------------------------------

    @property
    def total_bytes(self) -> int:
        return self._total

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, key: str) -> bool:
        return key in self._files

    def rescan(self) -> None:
        """Rebuild the index from the directory (oldest mtime first); drop torn files and stale temporaries."""
        found: list[tuple[float, str, int]] = []
        now = time.time()
        for shard in os.scandir(self.directory):
            if not shard.is_dir(follow_symlinks=False) or len(shard.name) != 2:
                continue
            for entry in os.scandir(shard.path):
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if entry.name.startswith("."):
                    if entry.name.endswith(".tmp") and now - st.st_mtime > STALE_TMP_SECONDS:
                        with contextlib.suppress(OSError):
                            os.unlink(entry.path)
                    continue
                if not entry.name.endswith(".wav"):
                    continue
                if st.st_size < MIN_FILE_BYTES:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                    continue
                found.append((st.st_mtime, entry.name[:-4], st.st_size))
        found.sort()
        self._files = OrderedDict((key, size) for _, key, size in found)
        self._total = sum(self._files.values())
        self._scanned_at = time.monotonic()

    def _evict(self, keep: str) -> None:
        if self.rescan_seconds is not None and time.monotonic() - self._scanned_at > self.rescan_seconds:
            self.rescan()
        passes = len(self._files)  # one look at each file at most: if all are in use, stay over the bound
        while self._total > self.max_bytes and len(self._files) > 1 and passes > 0:
            passes -= 1
            key, size = next(iter(self._files.items()))
            path = self.path_for(key)
            try:
                # Another process sharing the directory may have handed this file out
                # (a hit touches its mtime): a file used within MIN_AGE_SECONDS may be
                # playing, so it stays whatever this process's index says.
                recent = time.time() - os.stat(path).st_mtime < self.min_age_seconds
            except FileNotFoundError:
                recent = False
            if key == keep or recent:
                self._files.move_to_end(key)
                continue
            del self._files[key]
            self._total -= size
            self.evictions += 1
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    # -- the one entry point --------------------------------------------------------------

    def get_or_make(self, key: str, make: Callable[[Path], None]) -> Path:
        """Path of the file for ``key``, calling ``make(tmp_path)`` to write it on a miss.

        ``make`` must write the complete file at the path it is given (a
        temporary name in the final directory) or raise; its exception reaches
        this caller and every caller waiting on the same key.
        """
        path = self.path_for(key)
        try:
            os.utime(path)  # a hit: refresh its LRU time (and check it is still there)
        except FileNotFoundError:
            pass
        else:
            if key in self._files:
                self._files.move_to_end(key)
                self.hits += 1
                return path
            size = path.stat().st_size  # written by another process: count it
            if size >= MIN_FILE_BYTES:
                self._files[key] = size
                self._total += size
                self.hits += 1
                return path
        pending = self._inflight.get(key)
        if pending is not None:  # someone is making it: wait for their result (or their exception)
            self.hits += 1
            try:
                return pending.get()
            except CutOff:  # its maker's own deadline, not the engine: this caller may have time to make it
                return self.get_or_make(key, make)
        self.misses += 1
        if key in self._files:  # evicted behind our back (another process)
            self._total -= self._files.pop(key)
        result = AsyncResult()
        self._inflight[key] = result
        tmp = path.parent / f".{key}.{secrets.token_hex(4)}.tmp"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            make(tmp)
            try:
                size = tmp.stat().st_size
            except FileNotFoundError:
                raise SynthesisError(f"audio cache: make() wrote nothing for {key}") from None
            if size < MIN_FILE_BYTES:
                raise SynthesisError(f"audio cache: make() wrote only {size} bytes for {key}")
            os.chmod(tmp, 0o644)  # FreeSWITCH may run as another user
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            # waiters get the same exception; a kill (GreenletExit, a Timeout) reaches them as a CutOff
            result.set_exception(exc if isinstance(exc, Exception) else CutOff(f"interrupted: {exc!r}"))
            raise
        finally:
            del self._inflight[key]
        self._files[key] = size
        self._total += size
        self._evict(keep=key)
        result.set(path)
        return path
