"""Seed data for the emulators, shared by the tests, the benchmarks and the demo.

``sandbox.seeds.salesforce`` inserts people, regions, offices, accounts and Service Level
Interventions; ``sandbox.seeds.hubspot`` creates owners, companies, contacts and feedback
submissions. Both go through the emulators' seeding helpers (``insert``, ``create``,
``seed_owner``), which accept what the public APIs refuse (audit fields, read-only objects).
"""
