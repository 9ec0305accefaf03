"""An index on Wagtail's `wagtailcore_page.expire_at` (issue 15 item 5).

The visibility rule (`casestudies.visibility.public_now`) excludes expired pages by id, through
`SELECT id FROM wagtailcore_page WHERE expire_at <= now`: without an index every public query
scanned the whole page table (20,000 rows at 10,000 bilingual cases: 7-10 ms each, on every page
through the menu's query). With it, the subquery reads the few expiring pages only.

Wagtail has no index there. Plain SQL, the same on SQLite and PostgreSQL, named apart from
Wagtail's own; reversible (the index is dropped) and changing no model state.
"""

from django.db import migrations

INDEX = "cac_wagtailcore_page_expire_at"


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0012_evidence_what_it_takes_inspirations_population"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailcore_page (expire_at)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
