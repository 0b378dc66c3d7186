"""Replace the database's content with a backup made by `manage.py backup`. Stop the
server and the worker first."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mesoclinic.core.management.commands.backup import pg_args, pg_env, pg_tool


class Command(BaseCommand):
    help = "Restore the database from a file written by `manage.py backup`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument("--yes", action="store_true",
                            help="do not ask: the current content is replaced")

    def handle(self, *args: object, path: str, yes: bool, **options: object) -> None:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{source} does not exist.")
        if not yes and input("The database's content will be replaced. Type 'yes': ") != "yes":
            raise CommandError("Nothing restored.")
        connection.close()
        if connection.vendor == "sqlite":
            backup = sqlite3.connect(source)
            if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CommandError(f"{source} is damaged: nothing restored.")
            live = sqlite3.connect(connection.settings_dict["NAME"])
            with live:
                backup.backup(live)
            live.close()
            backup.close()
        elif connection.vendor == "postgresql":
            # The arguments come from the configured database and the operator.
            subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",  # noqa: S603
                            "--single-transaction", *pg_args(), str(source)],
                           check=True, env=pg_env())
        else:
            raise CommandError(f"No restore for {connection.vendor}.")
        self.stdout.write(f"Restored from {source}.")
