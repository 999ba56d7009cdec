"""HubSpot's date-versioned CRM paths (``/crm/objects/2026-03/...``) onto the legacy routes they mirror.

HubSpot's migration guide: the v1-v3 (and v4) CRM paths become unsupported in September 2027 (v4 in
March 2027); date versions (``2026-03``, ``2026-09``...) replace the ``v3``/``v4`` segment, placed after
the area: ``/crm/v3/objects/contacts`` is ``/crm/objects/2026-03/contacts``, ``/crm/v4/associations/...``
is ``/crm/associations/2026-03/...``. The emulator answers both alike (``2026-09``'s enforcement of the
portal's validation rules on writes is not emulated: the sandbox portal has none).
"""

from __future__ import annotations

import re

from .errors import ApiError

#: The date versions the emulated portal serves.
SERVED = ("2026-03", "2026-09")
#: The legacy version each CRM area's routes are registered under.
LEGACY = {"objects": "v3", "associations": "v4", "owners": "v3", "pipelines": "v3", "properties": "v3"}

_DATED = re.compile(r"^/crm/(?P<area>[a-z]+)/(?P<version>\d{4}-\d{2})(?P<rest>/.*)?$")


def legacy_path(path: str) -> str:
    """The legacy path a date-versioned one mirrors (other paths unchanged); 404 for a version or an
    area the portal does not serve."""
    match = _DATED.match(path)
    if match is None:
        return path
    area, version, rest = match["area"], match["version"], match["rest"] or ""
    if version not in SERVED or area not in LEGACY:
        raise ApiError(
            404,
            "OBJECT_NOT_FOUND",
            f"No endpoint matches {path}: API version {version} of "
            f"crm/{area} is not available (served: {', '.join(SERVED)})",
        )
    return f"/crm/{LEGACY[area]}/{area}{rest}"
