"""One writer at a time across processes and hosts: a lease kept in the store itself.

Several app replicas (and ``assistant ingest`` runs) share one Chroma server, and two syncs
interleaving their deletes and upserts of one article could leave it with chunks of both
versions. So a sync holds the lease, and a second one waits, saying so.

Chroma has no compare-and-set, so the lease is taken with Fischer's timed mutual exclusion:
a writer that finds the lease free writes its own name, waits ``settle`` seconds, and holds
the lease only if its name is still there. Two writers both win only if one took more than
``settle`` between reading and writing, which one small request never does. The holder
renews the lease while it works; a holder that died is recognized by its expired lease, or
at once when it ran on this host and its process is gone (a killed ingest must not block
the next one for long).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistant.errors import StoreBusyError

log = logging.getLogger(__name__)

_RECORD = "writer"
# The leases this process holds now: one of its own that it does not hold was left by a
# change that failed half-way (its server went away before the lease could be given back).
_HELD_HERE: set[str] = set()
_VECTOR = [1.0]  # Chroma records need a vector; this one is never searched


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


class WriterLease:
    def __init__(
        self,
        client: Any,
        name: str,
        location: str,
        ttl: float = 30.0,
        settle: float = 0.25,
        wait_limit: float = 900.0,
    ) -> None:
        self.collection = client.get_or_create_collection(f"{name}-lease", embedding_function=None)
        self.location = location
        self.ttl, self.settle, self.wait_limit = ttl, settle, wait_limit
        self.host = socket.gethostname()

    def _holder(self) -> dict[str, Any] | None:
        got = self.collection.get(ids=[_RECORD], include=["metadatas"])
        metas = got["metadatas"] or []
        return dict(metas[0] or {}) if got["ids"] and metas else None

    def _write(self, owner: str) -> None:
        meta = {
            "owner": owner,
            "host": self.host,
            "pid": os.getpid(),
            "expires": time.time() + self.ttl,
        }
        self.collection.upsert(
            ids=[_RECORD], embeddings=[_VECTOR], documents=[owner], metadatas=[meta]
        )

    def _free(self, holder: dict[str, Any] | None, owner: str) -> bool:
        if holder is None or holder.get("owner") == owner:
            return True
        if float(holder.get("expires", 0)) < time.time():
            return True
        if holder.get("host") != self.host:
            return False
        pid = int(holder.get("pid", 0))
        if pid == os.getpid():
            return holder.get("owner") not in _HELD_HERE
        return not _process_alive(pid)

    def _acquire(self, owner: str) -> None:
        deadline = time.monotonic() + self.wait_limit
        told = False
        while True:
            holder = self._holder()
            if self._free(holder, owner):
                self._write(owner)
                time.sleep(self.settle)
                holder = self._holder()
                if holder is not None and holder.get("owner") == owner:
                    return
            if holder is not None and not told:
                log.warning(
                    "Another ingest (process %s on %s) is changing the store at %s; waiting "
                    "for it to finish.",
                    holder.get("pid"),
                    holder.get("host"),
                    self.location,
                )
                told = True
            if time.monotonic() > deadline:
                raise StoreBusyError(
                    f"Another ingest (process {(holder or {}).get('pid')} on "
                    f"{(holder or {}).get('host')}) has been changing the store at "
                    f"{self.location} for over {self.wait_limit:.0f} s; try again once it "
                    "has finished. Nothing was changed by this one."
                )
            time.sleep(min(1.0, self.ttl / 4))

    @contextmanager
    def held(self) -> Iterator[None]:
        """The lease, renewed while the block runs and given back after it."""
        owner = uuid.uuid4().hex
        self._acquire(owner)
        _HELD_HERE.add(owner)
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.ttl / 3):
                try:
                    self._write(owner)
                except Exception:  # the work itself will report a server that is gone
                    log.debug("Could not renew the writer lease", exc_info=True)

        renewer = threading.Thread(target=renew, name="writer-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()
            _HELD_HERE.discard(owner)
            try:
                holder = self._holder()
                if holder is not None and holder.get("owner") == owner:
                    self.collection.delete(ids=[_RECORD])
            except Exception:  # an unreleased lease expires by itself
                log.debug("Could not release the writer lease", exc_info=True)
