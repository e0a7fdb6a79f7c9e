"""The build cache: what a build computed, kept by the hash of everything it came from.

An entry is a file named by its key (a SHA-256 of its inputs), so an entry can
never be stale: changed inputs give another key.  Entries are written
atomically with a checksum, and only when the build succeeds (:meth:`BuildCache.commit`),
so a failed build leaves nothing in the output folder; an entry that cannot
be read is treated as missing.  A commit also drops the entries the build did
not use, so the cache holds one build's worth of entries.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def code_version() -> str:
    """Return a hash of the authoring code, templates and fonts: entries made by other code are never used."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("templates/*"), *root.glob("fonts/*")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(*parts: str | bytes) -> str:
    """Return a cache key for the given inputs, in order."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class BuildCache:
    """A folder of cache entries, in kinds (``modules``, ``render``, ``images``)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.used: set[Path] = set()
        self.new: dict[Path, bytes] = {}

    def _path(self, kind: str, entry_key: str) -> Path:
        return self.folder / kind / entry_key

    def get(self, kind: str, entry_key: str) -> bytes | None:
        path = self._path(kind, entry_key)
        if path in self.new:
            return self.new[path]
        try:
            stored = path.read_bytes()
        except OSError:
            return None
        digest, data = stored[:32], stored[32:]
        if hashlib.sha256(data).digest() != digest:
            return None  # damaged: rebuild it
        self.used.add(path)
        return data

    def put(self, kind: str, entry_key: str, data: bytes) -> None:
        """Keep an entry, to be written by :meth:`commit`."""
        self.new[self._path(kind, entry_key)] = data

    def get_json(self, kind: str, entry_key: str):
        data = self.get(kind, entry_key)
        if data is None:
            return None
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None

    def put_json(self, kind: str, entry_key: str, value) -> None:
        self.put(kind, entry_key, json.dumps(value, separators=(",", ":")).encode("utf-8"))

    def commit(self) -> None:
        """Write the new entries and remove those this build did not use."""
        for path, data in self.new.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(hashlib.sha256(data).digest() + data)
            tmp.replace(path)
            self.used.add(path)
        self.new.clear()
        for path in self.folder.glob("*/*"):
            if path not in self.used:
                path.unlink(missing_ok=True)
