"""SQLite, with its writers queued on a lock file.

SQLite lets one writer at a time in. A writer that finds the database busy waits in
SQLite's busy handler, which sleeps (1, 2, 5 … up to 100 ms at a time) whatever happens
meanwhile, so under a few concurrent bookings the unlucky ones wait hundreds of
milliseconds for a lock that was free after two. Here each writer first takes an
exclusive lock on a file beside the database (``<name>.writers``): the operating system
wakes the next writer the moment the one before it commits. Readers are not queued (the
write-ahead log lets them read beside the writer), and SQLite's own lock still guards
everything, for programs that do not know this file too.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable
from typing import Any

from django.db.backends.sqlite3 import base

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


class WriterQueue:
    """An exclusive lock on the file beside a database, taken and released by one
    connection (the test runner renames the database: the name is read when first used)."""

    def __init__(self, database_name: Callable[[], str]) -> None:
        self.database_name = database_name
        self.descriptor: int | None = None
        self.held = False

    def acquire(self) -> None:
        if self.held:
            return
        if self.descriptor is None:
            self.descriptor = os.open(f"{self.database_name()}.writers",
                                      os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        self.held = True

    def release(self) -> None:
        if self.held and self.descriptor is not None:
            fcntl.flock(self.descriptor, fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        self.release()
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writers = WriterQueue(lambda: str(self.settings_dict["NAME"]))

    @property
    def writers(self) -> WriterQueue | None:
        return None if self.is_in_memory_db() else self._writers

    def _start_transaction_under_autocommit(self) -> None:
        # Every transaction of Django's starts with BEGIN IMMEDIATE (the write lock): it
        # queues here first.
        if self.writers is not None:
            self.writers.acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writers()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._release_writers()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._release_writers()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._writers.close()

    def _release_writers(self) -> None:
        if self.writers is not None:
            self.writers.release()

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=lambda raw: QueuedCursor(raw, wrapper=self))


class QueuedCursor(base.SQLiteCursorWrapper):
    """A write on its own (autocommit, outside any transaction) queues too."""

    def __init__(self, raw: Any, *, wrapper: DatabaseWrapper) -> None:
        super().__init__(raw)
        self.wrapper = wrapper

    def execute(self, query: str, params: Any = None) -> Any:
        writers = self.wrapper.writers
        if writers is None or writers.held or self.wrapper.in_atomic_block or \
                not WRITE.match(query):
            return super().execute(query, params)
        writers.acquire()
        try:
            return super().execute(query, params)
        finally:
            writers.release()
