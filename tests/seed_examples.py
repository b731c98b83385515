"""The seed documents' examples, read from the verbatim copies in tests/seeds/.

Each ``## `` section of a seed gives its curl request (method, path, query,
``--data`` body exactly as written), its success response(s), its error
responses and its "Sample data" bodies. Tests replay them unchanged.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SEEDS = Path(__file__).parent / "seeds"


@dataclass
class Example:
    title: str
    method: str = "GET"
    path: str = ""
    query: str = ""
    data: str | None = None  # the --data text, verbatim
    responses: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    samples: list = field(default_factory=list)


def _curl(text: str, ex: Example) -> None:
    args = shlex.split(text.replace("\\\n", " "))
    for i, a in enumerate(args):
        if a in ("--request", "-X"):
            ex.method = args[i + 1]
        elif a in ("--data", "--data-raw", "-d"):
            ex.data = args[i + 1]
        elif a.startswith(("https://", "http://")):
            url = urlsplit(a.replace("{{API_HOST}}", "host").replace("{{base_url}}", "host"))
            ex.path, ex.query = url.path, url.query
    if ex.data is not None and ex.method == "GET":
        ex.method = "POST"


def examples(seed: str) -> dict[str, Example]:
    text = (SEEDS / seed).read_text()
    out: dict[str, Example] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        title = section.splitlines()[0].strip()
        ex = Example(title)
        marker = None
        for m in re.finditer(
            r"(> Response trả về:|> Error Response trả về:|> Sample data:)|```(\w+)\n(.*?)```", section, flags=re.S
        ):
            if m.group(1):
                marker = m.group(1)
            elif m.group(2) == "shell":
                _curl(m.group(3), ex)
            elif m.group(2) == "json":
                body = json.loads(m.group(3))
                {
                    "> Response trả về:": ex.responses,
                    "> Error Response trả về:": ex.errors,
                    "> Sample data:": ex.samples,
                }.get(marker, ex.samples).append(body)
        out[title] = ex
    return out
