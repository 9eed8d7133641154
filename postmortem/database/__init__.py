"""The wiki as the incident database: many reports read, counted, linted and published as the statistics page; follow-ups across the wiki; pages and incidents with no report."""
