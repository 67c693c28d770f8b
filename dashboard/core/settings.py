"""Typed settings, declared as data with help text, read from the environment or .streamlit/secrets.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard import PROJECT_ROOT

DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "dashboard.sqlite"
DEFAULT_SECRET = "insecure-demo-secret-change-me"
MIN_SECRET_BYTES = 32
GENERATE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


@dataclass(frozen=True)
class Thresholds:
    """When a pattern becomes a signal (settings with these defaults)."""

    recent_days: int = 90
    baseline_days: int = 730
    min_count: int = 5
    min_rate_ratio: float = 1.5
    max_p_value: float = 0.01
    dyad_min_incidents: int = 3
    hotline_stale_days: int = 365


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
        "Seed clearly labelled synthetic demo data into an empty database on first start, and offer the demo "
        "accounts (public passwords) while every stored dataset is synthetic. Turn off for real deployments.",
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
    Setting(
        "DASHBOARD_SECRET_KEY",
        str,
        DEFAULT_SECRET,
        "Secret key for share-link tokens (an HMAC of each token is stored). Outside demo mode the app and the CLI "
        f"commands that use it refuse the default and any key shorter than {MIN_SECRET_BYTES} bytes; changing it "
        "invalidates every share link.",
    ),
    Setting("DASHBOARD_SESSION_IDLE_MINUTES", int, 30, "Sign a session out after this many minutes without use."),
    Setting(
        "DASHBOARD_MAX_FAILED_SIGN_INS",
        int,
        5,
        "Wrong passwords in a row for one account from one client address before further attempts must wait.",
    ),
    Setting(
        "DASHBOARD_LOCKOUT_MINUTES",
        int,
        15,
        "Longest wait between sign-in attempts after repeated failures (the wait starts at 1 minute and doubles).",
    ),
    Setting(
        "DASHBOARD_CLIENT_IP_HEADER",
        str,
        "",
        "Request header that carries the client address set by your reverse proxy (e.g. X-Forwarded-For; the last "
        "address is used). Empty: the connection's address. Sign-in delays are counted per client address.",
    ),
    Setting("DASHBOARD_SURGE_WINDOW_DAYS", int, 90, "Watchlist: the recent window a surge is measured in, in days."),
    Setting("DASHBOARD_SURGE_BASELINE_DAYS", int, 730, "Watchlist: the baseline window before it, in days."),
    Setting("DASHBOARD_SURGE_MIN_COUNT", int, 5, "Watchlist: fewest incidents in the recent window for a surge."),
    Setting("DASHBOARD_SURGE_MAX_P", float, 0.01, "Watchlist: largest Poisson p-value that counts as a surge."),
    Setting(
        "DASHBOARD_HOTLINE_GAP_MIN_INCIDENTS",
        int,
        3,
        "Watchlist: incidents in 12 months between two states without a hotline that make a gap.",
    ),
    Setting("DASHBOARD_MAX_UPLOAD_MB", int, 50, "Largest upload accepted, in megabytes (page and CLI)."),
    Setting(
        "DASHBOARD_PUBLIC_URL",
        str,
        "",
        "Address partners reach the dashboard at (e.g. https://dialogue.example.org); share links start with it. "
        "Empty: the Share links page uses the address it is served at, and the CLI prints only the path.",
    ),
    Setting(
        "DASHBOARD_TRUST_PROXY_HEADERS",
        bool,
        False,
        "Behind a reverse proxy that writes X-Forwarded-Host and X-Forwarded-Proto: use them for the address of "
        "share links when DASHBOARD_PUBLIC_URL is empty and the browser does not report its address.",
    ),
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
    secret_key: str
    session_idle_minutes: int
    max_failed_sign_ins: int
    lockout_minutes: int
    client_ip_header: str
    surge_window_days: int
    surge_baseline_days: int
    surge_min_count: int
    surge_max_p: float
    hotline_gap_min_incidents: int
    max_upload_mb: int
    public_url: str
    trust_proxy_headers: bool

    def watchlist_thresholds(self) -> Thresholds:
        """The watchlist thresholds from these settings."""
        return Thresholds(
            recent_days=self.surge_window_days,
            baseline_days=self.surge_baseline_days,
            min_count=self.surge_min_count,
            max_p_value=self.surge_max_p,
            dyad_min_incidents=self.hotline_gap_min_incidents,
        )

    @property
    def uses_default_secret(self) -> bool:
        """True while the secret key is the published default."""
        return self.secret_key == DEFAULT_SECRET

    def check_secret(self) -> None:
        """Refuse to run outside demo mode with the default secret key or one shorter than 32 bytes."""
        if self.demo_mode:
            return
        if self.uses_default_secret:
            problem = "is the published default"
        elif len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            problem = f"is {len(self.secret_key.encode())} bytes long"
        else:
            return
        raise SettingsError(
            f"DASHBOARD_SECRET_KEY {problem}: outside demo mode it must be a random value of at least "
            f"{MIN_SECRET_BYTES} bytes; generate one with `{GENERATE_SECRET}`"
        )

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
    if setting.type is float:
        try:
            return float(str(raw).strip())
        except ValueError:
            raise SettingsError(f"{setting.name}={raw!r} is not a number") from None
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
    for key in (
        "demo_incidents",
        "session_idle_minutes",
        "max_failed_sign_ins",
        "lockout_minutes",
        "max_upload_mb",
        "surge_window_days",
        "surge_baseline_days",
        "surge_min_count",
        "hotline_gap_min_incidents",
    ):
        if values[key] < 0 or (values[key] == 0 and key != "demo_incidents"):
            raise SettingsError(f"{_BY_KEY[key].name} must be a positive number")
    if not 0 < values["surge_max_p"] < 1:
        raise SettingsError("DASHBOARD_SURGE_MAX_P must be between 0 and 1")
    return Settings(**values)


def setting(key: str) -> Setting:
    """The declaration of one setting by its key."""
    return _BY_KEY[key]
