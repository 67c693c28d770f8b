"""ORM model of the actor names imports bring that the alias table (dashboard/core/threat_actors.py) does not resolve:
each is a candidate until a coordinator merges it into a reference actor or keeps it distinct, and `label_key`, the
one key such a name is stored and looked up by (dashboard/ingest/actor_names.py writes, dashboard/read/actor_names.py
reads)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.core.threat_actors import label_parts, normalise, resolve
from dashboard.store.models import Base

ACTOR_NAME_STATUSES = ("candidate", "merged", "distinct")
KEY_LIMIT, SHOWN_LIMIT = 200, 300

# Words around a name in the trackers' free text ("Believed to be the work of the Lazarus Group.", "Also known as
# Evil Eye", "Possibly linked to OilRig"): they say how sure the source is, not who the actor is.
_SPACE = r"[\s?]+"  # CFR's export lost some characters as "?", spaces among them
_LEAD_IN = re.compile(
    rf"^\W*(?:this{_SPACE}incident{_SPACE}is{_SPACE})?"
    rf"(?:(?:believed|suspected|thought){_SPACE}to{_SPACE}(?:be|have{_SPACE}been){_SPACE}(?:partially{_SPACE})?"
    rf"|(?:possibly|likely|probably)\b[\s?]*)?"
    rf"(?:(?:the{_SPACE}work{_SPACE}of|linked{_SPACE}to|associated{_SPACE}with|connected{_SPACE}to|attributed{_SPACE}to"
    rf"|affiliated{_SPACE}with|also{_SPACE}known{_SPACE}as|known{_SPACE}as|aka|possible{_SPACE}link{_SPACE}to)\b[\s?]*)?"
    rf"(?:the{_SPACE})?",
    re.I,
)


def bare_label(label: str) -> str:
    """The label without the source's lead-in words, a leading "the" and trailing punctuation or "?" ("Believed to
    be the work of the Lazarus Group." -> "Lazarus Group")."""
    text = " ".join(str(label or "").split())
    return _LEAD_IN.sub("", text, count=1).strip(" .?!;:,") or text


def known_actors(label: str) -> frozenset[str]:
    """The actors the alias table gives for a label: as written, else without the source's lead-in words, else for
    its parts without theirs ("Believed to be the work of Kimusky, also known as Thallium and Smoke Screen")."""
    found = resolve(label)
    if found:
        return found
    bare = bare_label(label)
    return resolve(bare) or frozenset().union(*(resolve(bare_label(p)) for p in label_parts(bare)))


def label_key(label: str) -> str:
    """The key an actor name is stored by: `bare_label` in the alias table's normalised form ("apt28")."""
    return normalise(bare_label(label))


class ActorName(Base):
    """An actor name from imports that the alias table does not resolve: a candidate, or merged into a reference
    actor (`actor_id`), or kept distinct, with who decided and when."""

    __tablename__ = "actor_names"
    __table_args__ = (CheckConstraint("status IN ('candidate', 'merged', 'distinct')", name="status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(KEY_LIMIT), unique=True)  # label_key of the name
    shown: Mapped[str] = mapped_column(String(SHOWN_LIMIT))  # as first written, without lead-in words (bare_label)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    incidents: Mapped[int] = mapped_column(Integer, default=0)  # incidents naming it in the last import that did
    status: Mapped[str] = mapped_column(String(10), default="candidate")
    actor_id: Mapped[str] = mapped_column(String(80), default="")  # the reference actor it was merged into
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
