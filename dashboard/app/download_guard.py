"""Downloads made when pressed are checked again when pressed.

Streamlit produces a deferred download (a callable) on a request of its own, outside any page run, so the checks
of each run (idle time, a revoked share link, a changed or disabled account) do not guard a button already on the
screen. `when_still_valid` wraps the callable: when pressed, it checks the session it was offered to against the
database, and hands out a short notice instead of the data when that session is no longer valid.
"""

from __future__ import annotations

from collections.abc import Callable

from dashboard import accounts
from dashboard.accounts import sessions, sharing
from dashboard.app.auth import session_grant
from dashboard.app.context import engine
from dashboard.core.access import Viewer

NO_LONGER_VALID = (
    b"This download is no longer available: the share link was revoked or has expired, or the account was changed "
    b"or disabled, or the session ended. Reload the page (and sign in again) to download.\n"
)


def still_valid(viewer: Viewer | None, epoch: int, session_id: int | None = None) -> bool:
    """Whether a session of this viewer, signed in under this account epoch, may still receive data (and, for a
    server-side session, whether it is still open: not signed out in another tab nor ended by an administrator)."""
    if viewer is None:
        return False
    if session_id is not None and not sessions.is_open(engine(), session_id):
        return False
    if viewer.share_link_id is not None:
        return sharing.is_still_valid(engine(), viewer)
    if viewer.user_id is None:  # the local administrator of the command line and tests: no account to check
        return True
    status = accounts.session_status(engine(), viewer.user_id)
    return status is not None and status.active and status.epoch == epoch


def when_still_valid(produce: Callable[[], bytes]) -> Callable[[], bytes]:
    """The download callable, checked when pressed against the session that was shown the button (call it during
    the page run that draws the button)."""
    viewer, epoch, session_id = session_grant()

    def guarded() -> bytes:
        return produce() if still_valid(viewer, epoch, session_id) else NO_LONGER_VALID

    return guarded
