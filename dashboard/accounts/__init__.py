"""Accounts and sharing: local and single sign-on accounts (users) and read-only share links (sharing).

The package re-exports the account functions, so `from dashboard import accounts; accounts.create_user(...)` works.
"""

from __future__ import annotations

from dashboard.accounts.users import (
    DEMO_ACCOUNTS,
    MIN_PASSWORD_LENGTH,
    AccountError,
    DemoAccount,
    SignIn,
    authenticate,
    check_password_strength,
    create_partner_account,
    create_user,
    ensure_demo_accounts,
    generate_password,
    hash_password,
    is_active,
    list_users,
    record_sign_out,
    remove_demo_accounts,
    set_active,
    set_password,
    sso_sign_in,
    viewer_for,
)

__all__ = [
    "DEMO_ACCOUNTS",
    "MIN_PASSWORD_LENGTH",
    "AccountError",
    "DemoAccount",
    "SignIn",
    "authenticate",
    "check_password_strength",
    "create_partner_account",
    "create_user",
    "ensure_demo_accounts",
    "generate_password",
    "hash_password",
    "is_active",
    "list_users",
    "record_sign_out",
    "remove_demo_accounts",
    "set_active",
    "set_password",
    "sso_sign_in",
    "viewer_for",
]
