"""Store: engine and sessions, ORM models, migrations, reference vocabularies in the database, audit.

Imports core.
"""

# Every table is registered with the models' metadata whichever module is imported first: the event tables live in
# their own module (event_models imports models, never the other way round).
from dashboard.store import actor_models, event_models, merge_models  # noqa: F401
