"""Cyber Dialogue Dashboard: incidents, norm adherence and partnerships for regional cyber dialogues."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
