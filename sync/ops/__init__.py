"""Operating the worker: logs, metrics and health, the active/standby lock, migrations, the status view."""
