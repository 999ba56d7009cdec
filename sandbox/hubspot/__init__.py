"""A stateful emulator of the HubSpot CRM API (objects, search, batch, associations, owners,
pipelines, properties, transactional email), answering through ``sandbox.core`` types."""

from .emulator import HubSpotEmulator
from .errors import ApiError
from .settings import HubSpotSettings

__all__ = ["ApiError", "HubSpotEmulator", "HubSpotSettings"]
