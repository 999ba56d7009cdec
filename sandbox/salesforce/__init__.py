"""Stateful emulation of the Salesforce REST API for crm-sync's sandbox."""

from .emulator import SalesforceEmulator
from .errors import SalesforceApiError
from .settings import SalesforceSettings

__all__ = ["SalesforceApiError", "SalesforceEmulator", "SalesforceSettings"]
