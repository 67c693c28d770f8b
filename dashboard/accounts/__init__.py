"""Accounts and sharing: local and single sign-on accounts (users), sign-in (signin), demo accounts (demo),
passwords, the permission check of every change (guard) and read-only share links (sharing).

The package re-exports the account functions, so `from dashboard import accounts; accounts.create_user(...)` works.
"""

from __future__ import annotations

from dashboard.accounts.demo import (
    DEMO_ACCOUNTS,
    DemoAccount,
    demo_allowed,
    ensure_demo_accounts,
    real_data_present,
    remove_demo_accounts,
)
from dashboard.accounts.guard import AccessDenied, AccountError, ShareError
from dashboard.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    check_password_strength,
    generate_password,
    hash_password,
)
from dashboard.accounts.signin import SIGN_IN_REFUSED, SignIn, authenticate, record_sign_out, sso_sign_in
from dashboard.accounts.users import (
    SessionStatus,
    create_partner_account,
    create_user,
    is_active,
    list_users,
    session_status,
    set_active,
    set_password,
    update_user,
    viewer_for,
)

__all__ = [
    "DEMO_ACCOUNTS",
    "MIN_PASSWORD_LENGTH",
    "SIGN_IN_REFUSED",
    "AccessDenied",
    "AccountError",
    "DemoAccount",
    "SessionStatus",
    "ShareError",
    "SignIn",
    "authenticate",
    "check_password_strength",
    "create_partner_account",
    "create_user",
    "demo_allowed",
    "ensure_demo_accounts",
    "generate_password",
    "hash_password",
    "is_active",
    "list_users",
    "real_data_present",
    "record_sign_out",
    "remove_demo_accounts",
    "session_status",
    "set_active",
    "set_password",
    "sso_sign_in",
    "update_user",
    "viewer_for",
]
