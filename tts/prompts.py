"""A recorded prompt set on disk: which prompts it holds, and each as PCM ready to join with TTS.

A prompt set is a directory with one ``<key>.wav`` per prompt
(:mod:`tts.prompt_keys`), 16-bit PCM. :class:`PromptSet` lists it once when
made (the keys, and each file's identity: inode, mtime, size); a clip is the
recording mixed to mono, its leading and trailing silence trimmed
(:func:`tts.audio.trim_silence`: joined numbers do not drag), resampled to the
synthesizer's rate and peak-normalised to :data:`tts.synth.PEAK_DBFS` like
every TTS clip, so a recorded word and a synthesised one play at the same
level. Clips are kept in memory per (file, inode, mtime, size, rate): a
re-recorded prompt is a new file identity, used at once, without a restart.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

from tts.audio import convert, read_wav, to_mono, trim_silence
from tts.prompt_keys import PHRASE_PREFIX, is_prompt_key, missing
from tts.synth import _CPU, PEAK_DBFS, _Pacer

MAX_CACHED_BYTES = 32 << 20  # about 1,000 sets' digits at 16 kHz; least recently used clips go first

FileId = tuple[str, int, int, int]  # (path, inode, mtime ns, size)
_clips: OrderedDict[tuple[FileId, int], bytes] = OrderedDict()
_cached_bytes = 0


class PromptSetError(ValueError):
    """A prompt set that cannot be used: no such directory, or a file that is not a 16-bit PCM WAV."""


class IncompletePromptSet(PromptSetError):
    """A prompt set without prompts the message needs (every required one, and the template's phrases)."""

    def __init__(self, directory: Path, names: list[str]) -> None:
        super().__init__(f"prompt set {directory.name} lacks the recordings {', '.join(names)}")
        self.names = names


class PromptSet:
    def __init__(self, directory: Path, rate: int) -> None:
        self.directory = Path(directory)
        self.rate = rate
        self._files: dict[str, FileId] = {}
        try:
            entries = list(os.scandir(self.directory))
        except OSError as exc:
            raise PromptSetError(f"no prompt set at {self.directory}: {exc.strerror}") from None
        for entry in entries:
            key = entry.name[:-4]
            if not entry.name.endswith(".wav") or not is_prompt_key(key):
                continue  # an upload's temporary file, or not a prompt
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue  # a symlink or a directory is not a recording the API wrote
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # replaced or removed while listed
            self._files[key] = (entry.path, st.st_ino, st.st_mtime_ns, st.st_size)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._files)

    def has(self, key: str) -> bool:
        return key in self._files

    def missing(self) -> list[str]:
        """The required prompts this set lacks, in :data:`tts.prompt_keys.REQUIRED`'s order."""
        return missing(self.keys)

    def require(self, phrases: list[str] | tuple[str, ...] = ()) -> None:
        """:class:`IncompletePromptSet` naming every required prompt and named phrase the set lacks."""
        absent = self.missing() + [PHRASE_PREFIX + p for p in phrases if PHRASE_PREFIX + p not in self._files]
        if absent:
            raise IncompletePromptSet(self.directory, absent)

    def identity(self, keys: list[str] | tuple[str, ...]) -> list[FileId]:
        """The identities of the files of ``keys`` (those a message plays), sorted: part of an assembled
        message's cache key (a new recording of one of them, a new key; a recording it does not play, none)."""
        return sorted(self._files[key] for key in set(keys) if key in self._files)

    def clip(self, key: str) -> bytes:
        """The prompt ``key`` as mono 16-bit PCM at :attr:`rate`, trimmed and normalised (``KeyError`` if absent)."""
        path = self._files[key][0]
        try:
            st = os.stat(
                path, follow_symlinks=False
            )  # the file now: re-recorded since the listing is fine, it is just newer
        except OSError as exc:
            raise PromptSetError(f"prompt set {self.directory.name}: {key}.wav: {exc.strerror}") from None
        cache_key = ((path, st.st_ino, st.st_mtime_ns, st.st_size), self.rate)
        pcm = _clips.get(cache_key)
        if pcm is not None:
            _clips.move_to_end(cache_key)
            return pcm
        pcm = self._load(key, path)
        _remember(cache_key, pcm)
        return pcm

    def _load(self, key: str, path: str) -> bytes:
        try:
            pcm, rate, channels = read_wav(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise PromptSetError(f"prompt set {self.directory.name}: {key}.wav: {exc}") from None
        if not pcm:
            raise PromptSetError(f"prompt set {self.directory.name}: {key}.wav holds no audio")
        pcm = trim_silence(to_mono(pcm, channels), rate)
        with _CPU:  # as a TTS clip's conversion: one at a time, yielding to the hub (a phrase may be 10 min)
            return convert(pcm, rate, self.rate, PEAK_DBFS, pause=_Pacer())


def _remember(cache_key: tuple[FileId, int], pcm: bytes) -> None:
    global _cached_bytes
    _cached_bytes += len(pcm) - len(_clips.pop(cache_key, b""))
    _clips[cache_key] = pcm
    while _cached_bytes > MAX_CACHED_BYTES and len(_clips) > 1:
        _, old = _clips.popitem(last=False)
        _cached_bytes -= len(old)
