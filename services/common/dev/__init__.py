"""Tools around the services, not part of them: a local PostgreSQL, a mail catcher, database setup
and the migrations Job's command (the chart's pre-install hook runs migrate_all)."""
