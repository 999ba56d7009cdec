"""Failed assertions of the shipped suite show their values, as in a test module."""

import pytest

pytest.register_assert_rewrite("sync.connectors.conformance")
