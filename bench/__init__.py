"""Benchmarks of crm-sync against the sandbox: ``python -m bench`` (``make bench``); see RESULTS.md."""
