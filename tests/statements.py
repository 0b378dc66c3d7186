"""Counting what a request costs the database: its statements (transaction control not
counted) and its commits (an outermost transaction that commits, or a write run on its own
in autocommit mode). Used by the tests that pin each request's cost and by the load
benchmark."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


@dataclass
class Counts:
    sql: list[str] = field(default_factory=list)
    commits: int = 0

    @property
    def statements(self) -> int:
        return len(self.sql)

    def __str__(self) -> str:
        return "\n".join(f"{n}. {s[:300]}" for n, s in enumerate(self.sql, 1))


@contextmanager
def count_statements(connection: Any) -> Iterator[Counts]:
    counts = Counts()

    def observe(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not TRANSACTION_CONTROL.match(sql):
            counts.sql.append(sql)
            if WRITE.match(sql) and not context["connection"].in_atomic_block:
                counts.commits += 1
        return execute(sql, params, many, context)

    commit = connection.commit

    def counted_commit() -> None:
        counts.commits += 1
        commit()

    connection.commit = counted_commit
    try:
        with connection.execute_wrapper(observe):
            yield counts
    finally:
        del connection.commit
