"""Typed settings, declared as data with help text, read from the environment or .streamlit/secrets.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard import PROJECT_ROOT

DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "dashboard.sqlite"


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Setting:
    """One documented setting: environment variable name, type, default and meaning."""

    name: str
    type: type
    default: Any
    help: str

    @property
    def key(self) -> str:
        """Attribute name on Settings and key in the [dashboard] section of secrets.toml."""
        return self.name.removeprefix("DASHBOARD_").lower()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DASHBOARD_DATABASE_URL",
        str,
        "",
        "SQLAlchemy URL of the database. Empty: an embedded SQLite file at data/dashboard.sqlite. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname.",
    ),
    Setting(
        "DASHBOARD_DEMO_MODE",
        bool,
        True,
        "Seed clearly labelled synthetic demo data into an empty database on first start. "
        "Turn off for real deployments.",
    ),
    Setting("DASHBOARD_DEMO_SEED", int, 42, "Random seed of the synthetic demo data (same seed, same data)."),
    Setting("DASHBOARD_DEMO_INCIDENTS", int, 2000, "Number of synthetic incidents seeded in demo mode."),
    Setting(
        "DASHBOARD_ORGANISATION",
        str,
        "Dialogue Secretariat",
        "Organisation that runs this dashboard; it owns rows marked TLP:AMBER+STRICT that it uploads.",
    ),
    Setting("DASHBOARD_CACHE_TTL_SECONDS", int, 600, "How long page data is cached before it is read again."),
    Setting("DASHBOARD_LOG_LEVEL", str, "INFO", "Python log level of the dashboard (DEBUG, INFO, WARNING, ERROR)."),
)

_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with load_settings()."""

    database_url: str
    demo_mode: bool
    demo_seed: int
    demo_incidents: int
    organisation: str
    cache_ttl_seconds: int
    log_level: str

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        return self.database_url or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _coerce(setting: Setting, raw: Any) -> Any:
    if setting.type is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"{setting.name}={raw!r} is not true or false")
    if setting.type is int:
        try:
            return int(str(raw).strip())
        except ValueError:
            raise SettingsError(f"{setting.name}={raw!r} is not a whole number") from None
    return str(raw).strip()


def _read_secrets(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise SettingsError(f"{path} cannot be read: {exc}") from None
    section = data.get("dashboard", {})
    return section if isinstance(section, dict) else {}


def load_settings(environ: dict[str, str] | None = None, secrets_path: Path | None = None) -> Settings:
    """Resolve every setting: environment first, then [dashboard] in secrets.toml, then the default."""
    env = os.environ if environ is None else environ
    secrets = _read_secrets(secrets_path or PROJECT_ROOT / ".streamlit" / "secrets.toml")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in env:
            values[setting.key] = _coerce(setting, env[setting.name])
        elif setting.key in secrets:
            values[setting.key] = _coerce(setting, secrets[setting.key])
        else:
            values[setting.key] = setting.default
    if values["demo_incidents"] < 0:
        raise SettingsError("DASHBOARD_DEMO_INCIDENTS must not be negative")
    return Settings(**values)


def setting(key: str) -> Setting:
    """The declaration of one setting by its key."""
    return _BY_KEY[key]
