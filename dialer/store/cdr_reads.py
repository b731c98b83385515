"""A campaign's CDRs read in end order: ``campaign:<uuid>:cdrs`` walked by (end ms, call uuid), with their hashes.

The ZSET maps call uuid → end ms; each CDR is the ``call:<uuid>`` hash. The
walk is keyset paging in the ZSET's own order: from a position (end ms, call
uuid) the next entries are found in O(log n) (ZSCORE + ZRANK), so a late page
costs what the first does and CDRs that end meanwhile never shift a page.
What a CDR means (reported or not, sealed fields) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import redis

from dialer.store.keys import Keys

SAME_MS_CHUNK = 1000  # entries of one millisecond read per round trip when the cursor's CDR moved

Entry = tuple[int, str]  # (end ms, call uuid)


class CdrReads:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def _range(
        self, key: str, lo: int | str, hi: int | str, *, num: int, desc: bool = False
    ) -> list[tuple[str, float]]:
        rows = self.r.zrange(key, lo, hi, byscore=True, desc=desc, offset=0, num=num, withscores=True)
        return cast(list[tuple[str, float]], rows)

    def span(self, campaign_uuid: str, lo_ms: int, hi_ms: int) -> tuple[int, int] | None:
        """The end ms of the first and of the last CDR ending in [lo_ms, hi_ms) (None: there is none)."""
        key = self.keys.cdrs(campaign_uuid)
        first = self._range(key, lo_ms, f"({hi_ms}", num=1)
        if not first:
            return None
        last = self._range(key, f"({hi_ms}", lo_ms, num=1, desc=True)
        first_ms = int(first[0][1])
        return first_ms, int(last[0][1]) if last else first_ms

    def walk(
        self, campaign_uuid: str, lo_ms: int, hi_ms: int, after: Entry | None, batch: int
    ) -> Iterator[tuple[int, str, dict[str, str]]]:
        """Every CDR ending in [lo_ms, hi_ms) after ``after`` (from the start: None), in order, as
        (end ms, call uuid, its hash as stored). Reads ``batch`` entries (and their hashes) per round trip."""
        key = self.keys.cdrs(campaign_uuid)
        pos = after if after is not None and after[0] >= lo_ms else None
        if pos is not None and pos[0] >= hi_ms:
            return
        while True:
            if pos is None:
                first = self._range(key, lo_ms, f"({hi_ms}", num=batch)
                rows, done = [(int(s), m) for m, s in first], len(first) < batch
            else:
                rows, done = self._after(key, pos, hi_ms, batch)
            if rows:
                pipe = self.r.pipeline(transaction=False)
                for _, call in rows:
                    pipe.hgetall(self.keys.call(call))
                for (ms, call), cdr in zip(rows, pipe.execute(), strict=True):
                    yield ms, call, cdr
                pos = rows[-1]
            if done:
                return

    def _after(self, key: str, pos: Entry, hi_ms: int, n: int) -> tuple[list[Entry], bool]:
        """Up to ``n`` entries strictly after ``pos`` in (score, member) order with score < hi_ms,
        and whether the range is exhausted."""
        ms, member = pos
        pipe = self.r.pipeline(transaction=True)
        pipe.zscore(key, member)
        pipe.zrank(key, member)
        score, rank = pipe.execute()
        rows: list[tuple[str, float]]
        if score is not None and int(score) == ms:
            # The cursor's CDR is where it was: the next ones follow its rank.
            rows = cast(list[tuple[str, float]], self.r.zrange(key, rank + 1, rank + n, withscores=True))
            short = len(rows) < n
        else:
            # It moved or went (rare): the rest of its millisecond by name, then the later ones.
            rows, offset = [], 0
            while len(rows) < n:
                chunk = self.r.zrange(key, ms, ms, byscore=True, offset=offset, num=SAME_MS_CHUNK, withscores=True)
                same_ms = cast(list[tuple[str, float]], chunk)
                offset += len(same_ms)
                rows += [(m, s) for m, s in same_ms if m > member]
                if len(same_ms) < SAME_MS_CHUNK:
                    break
            rows = rows[:n]
            short = False
            if len(rows) < n:
                more = self._range(key, f"({ms}", f"({hi_ms}", num=n - len(rows))
                short = len(more) < n - len(rows)
                rows += more
        out: list[Entry] = []
        for m, s in rows:
            end_ms = int(s)
            if end_ms >= hi_ms:
                return out, True
            if (end_ms, m) > (ms, member):  # an entry added before the cursor meanwhile shifts the ranks: skip it
                out.append((end_ms, m))
        return out, short
