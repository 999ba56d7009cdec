"""Pure decisions the worker takes: how long a failed action waits, whose turn a rotation gives."""
