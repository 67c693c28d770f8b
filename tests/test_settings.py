"""Settings: defaults, environment and secrets.toml, errors, and the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard import PROJECT_ROOT
from dashboard.core.settings import DEFAULT_SQLITE_PATH, SETTINGS, SettingsError, load_settings


def test_defaults_use_embedded_sqlite(tmp_path: Path) -> None:
    s = load_settings({}, tmp_path / "none.toml")
    assert s.database_url == ""
    assert s.resolved_database_url == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert s.demo_mode is True and s.demo_seed == 42 and s.demo_incidents == 2000


def test_environment_overrides_secrets_which_override_defaults(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[dashboard]\ndemo_seed = 7\ndemo_mode = false\ndatabase_url = "sqlite:///x.db"\n')
    s = load_settings({"DASHBOARD_DEMO_SEED": "9"}, secrets)
    assert s.demo_seed == 9
    assert s.demo_mode is False
    assert s.resolved_database_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DASHBOARD_DEMO_MODE", "maybe", "not true or false"),
        ("DASHBOARD_DEMO_SEED", "forty", "not a whole number"),
        ("DASHBOARD_DEMO_INCIDENTS", "-5", "must be a positive number"),
        ("DASHBOARD_SESSION_IDLE_MINUTES", "0", "must be a positive number"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as err:
        load_settings({name: value}, tmp_path / "none.toml")
    assert name in str(err.value)


def test_every_setting_is_documented_in_the_readme_table() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`(DASHBOARD_[A-Z_]+)`\s*\|", readme, flags=re.M))
    declared = {s.name for s in SETTINGS}
    assert declared - documented == set(), "settings missing from the README table"
    assert documented - declared == set(), "README documents settings that do not exist"


@pytest.mark.parametrize("secret", ["", "x", "insecure-demo-secret-change-me", "a" * 31, "é" * 15])
def test_a_short_or_default_secret_key_is_refused_outside_demo_mode(tmp_path: Path, secret: str) -> None:
    settings = load_settings({"DASHBOARD_DEMO_MODE": "false", "DASHBOARD_SECRET_KEY": secret}, tmp_path / "none.toml")
    with pytest.raises(SettingsError, match="DASHBOARD_SECRET_KEY") as refused:
        settings.check_secret()
    assert "32 bytes" in str(refused.value) and "secrets.token_urlsafe" in str(refused.value)


@pytest.mark.parametrize(("secret", "demo"), [("a" * 32, "false"), ("é" * 16, "false"), ("", "true"), ("x", "true")])
def test_a_long_secret_or_demo_mode_is_accepted(tmp_path: Path, secret: str, demo: str) -> None:
    load_settings({"DASHBOARD_DEMO_MODE": demo, "DASHBOARD_SECRET_KEY": secret}, tmp_path / "none.toml").check_secret()
