"""Copy the live database to a file: SQLite through its online backup API (consistent while
the app writes), PostgreSQL through pg_dump (custom format)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise CommandError(f"{name} is not installed (Debian package postgresql-client).")
    return str(candidates[-1])


def pg_env() -> dict[str, str]:
    settings = connection.settings_dict
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return env


def pg_args() -> list[str]:
    settings = connection.settings_dict
    args = ["--host", settings.get("HOST") or "localhost", "--dbname", settings["NAME"]]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", settings["USER"]]
    return args


class Command(BaseCommand):
    help = "Back up the database to a file (SQLite copy or pg_dump archive)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the file to write")

    def handle(self, *args: object, path: str, **options: object) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if connection.vendor == "sqlite":
            source = sqlite3.connect(connection.settings_dict["NAME"])
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            copy.close()
            source.close()
        elif connection.vendor == "postgresql":
            # The arguments come from the configured database, not from a user.
            subprocess.run([pg_tool("pg_dump"), "--format=custom", "--file", str(target),  # noqa: S603
                            *pg_args()], check=True, env=pg_env())
        else:
            raise CommandError(f"No backup for {connection.vendor}.")
        self.stdout.write(f"Backed up to {target} ({target.stat().st_size} bytes).")
