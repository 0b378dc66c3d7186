"""The bare Django reference app of the load benchmark: one model, a token check, a unique
constraint, nothing else. Its rates are the floor mesoclinic's are judged against, so it
uses the same database settings (durability included) as mesoclinic."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("REFERENCE_SECRET_KEY", "reference-app-for-benchmarks-only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["reference"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "reference.urls"
WSGI_APPLICATION = "reference.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REFERENCE_DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["REFERENCE_DATABASE_URL"],
                                                  conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("REFERENCE_SQLITE_PATH", str(BASE_DIR / "reference.sqlite3")),
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;"
                                 "PRAGMA foreign_keys=ON;"),
            },
        }
    }
