"""Small query helpers for the hot paths.

``one`` is a ``first()`` without its ORDER BY. ``JoinedRows`` loads whole rows of several
models joined in one hand-written SELECT, for the one query every API request runs (the
bearer token with its membership, user and clinic): the ORM spends several times longer
compiling such a join than the database spends answering it. The column lists, the value
conversions and the model instances are Django's own; only the FROM and WHERE are written
out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one(queryset: QuerySet[M]) -> M | None:
    """The row a filter on a unique key finds, or None. Unlike ``first()`` it adds no
    ORDER BY, which for a single row only costs time in the compiler and the database."""
    return next(iter(queryset[:1]), None)


class JoinedRows:
    """``SELECT <every column of each model, under its alias> <tail>``; each row comes
    back as one instance per model (None for a LEFT JOIN that found nothing), converted
    as the ORM would convert it, then any value the tail selects (``, EXISTS(...) FROM``)."""

    def __init__(self, *models: tuple[type[Model], str]) -> None:
        self.models = models
        self._converters: dict[str, list[tuple[Any, list[Any]]]] = {}
        self._columns: dict[str, str] = {}

    def columns(self) -> str:
        # Per database vendor, built once.
        vendor = connection.vendor
        if vendor not in self._columns:
            quote = connection.ops.quote_name
            self._columns[vendor] = ", ".join(
                f"{alias}.{quote(field.column)}" for model, alias in self.models
                for field in model._meta.concrete_fields)
        return self._columns[vendor]

    def _conversions(self) -> list[tuple[Any, list[Any]]]:
        # Per database vendor, built once: what SQLCompiler.get_converters would give.
        vendor = connection.vendor
        if vendor not in self._converters:
            self._converters[vendor] = [
                (col, [*connection.ops.get_db_converters(col),
                       *col.get_db_converters(connection)])
                for model, alias in self.models for field in model._meta.concrete_fields
                for col in [field.get_col(alias)]]
        return self._converters[vendor]

    def fetch(self, tail: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {self.columns()} {tail}", params)
            rows = cursor.fetchall()
        conversions = self._conversions()
        found = []
        for row in rows:
            values = list(row)
            for index, (col, converters) in enumerate(conversions):
                for convert in converters:
                    values[index] = convert(values[index], col, connection)
            instances: list[Any] = []
            start = 0
            for model, _alias in self.models:
                fields = model._meta.concrete_fields
                part = values[start:start + len(fields)]
                start += len(fields)
                # A LEFT JOIN that found nothing: no instance.
                pk_index = fields.index(model._meta.pk)
                instances.append(None if part[pk_index] is None else model.from_db(
                    connection.alias, [f.attname for f in fields], part))
            # Whatever the tail selects after the columns comes last, as it is.
            found.append((*instances, *values[start:]))
        return found


def insert(instance: M) -> M:
    """INSERT one new instance, its values prepared as ``save()`` prepares them, and set
    its primary key. For the rows every booking or request writes; no signals are sent."""
    meta = instance._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields
              if f is not pk or getattr(instance, pk.attname) is not None]
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    sql = _insert_sql(meta.db_table, fields, rows=1)
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk.column)}", values)
            pk_value = cursor.fetchone()[0]
        else:
            cursor.execute(sql, values)
            pk_value = cursor.lastrowid
    setattr(instance, pk.attname, pk_value)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert_many(instances: Sequence[Model]) -> None:
    """INSERT new instances of one model in one statement, without reading back their
    keys (the slot claims of a booking)."""
    if not instances:
        return
    meta = instances[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection)
              for instance in instances for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(meta.db_table, fields, rows=len(instances)), values)


def _insert_sql(table: str, fields: Sequence[Any], *, rows: int) -> str:
    # Only quoted names and placeholders are formatted in; every value is a parameter.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    return f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([row] * rows)}"  # noqa: S608
