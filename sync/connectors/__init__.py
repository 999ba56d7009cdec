"""CRM adapters: each polls its streams into plain dict records and carries out owed actions."""
