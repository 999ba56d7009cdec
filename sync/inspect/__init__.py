"""``crm-sync explain`` and ``crm-sync plan``: why the rules did what they did to a record, and what
they will do (or what a new configuration would change). Read only: the store is opened in dry-run
mode and no CRM is called; conditions are evaluated on the stored copy of each record."""
