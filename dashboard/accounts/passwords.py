"""Passwords: argon2id hashes, the strength rule, generated passwords, and the dummy hash refused sign-ins check."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboard.accounts.guard import AccountError

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Checked instead of a real hash for unknown, disabled, throttled and demo-off sign-ins: the same argon2 work, so
# neither the answer nor its timing says which of these it was.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """True when the password matches the hash (one full argon2 computation either way)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than the hasher's."""
    return HASHER.check_needs_rehash(password_hash)


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")


def generate_password() -> str:
    """A random password for a new account (shown once)."""
    return secrets.token_urlsafe(15)
