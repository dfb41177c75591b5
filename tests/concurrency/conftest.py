"""Races between two analysts, on SQLite and on PostgreSQL (see tests/db/plugin.py)."""

from db.plugin import *  # noqa: F403 - the fixtures db_url, any_db_workspace, second_analyst
