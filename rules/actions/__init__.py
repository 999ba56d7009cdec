"""Action kinds, one module each; see :mod:`rules.actions.base` and :mod:`rules.actions.registry`."""
