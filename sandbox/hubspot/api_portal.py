"""Portal metadata: owners, teams, ticket pipelines, property definitions and token introspection."""

from __future__ import annotations

from typing import Any

from sandbox.core import SandboxResponse

from .errors import ApiError, not_found, validation_error
from .portal import Pipeline
from .routing import Call, Router
from .settings import HubSpotSettings
from .state import PortalState
from .views import next_page

DEFAULT_OWNER_PAGE = 100
MAX_OWNER_PAGE = 500
PIPELINE_TYPES = ("tickets",)


class PortalApi:
    """Read-only views of the portal's configuration."""

    def __init__(self, state: PortalState, settings: HubSpotSettings) -> None:
        self.state = state
        self.settings = settings

    def register(self, router: Router) -> None:
        router.add("GET", "/crm/v3/owners", self.list_owners)
        router.add("GET", "/crm/v3/owners/{id}", self.get_owner)
        router.add("GET", "/settings/v3/users/teams", self.list_teams)
        router.add("GET", "/crm/v3/pipelines/{type}", self.list_pipelines)
        router.add("GET", "/crm/v3/pipelines/{type}/{id}", self.get_pipeline)
        router.add("GET", "/crm/v3/pipelines/{type}/{id}/stages", self.list_stages)
        router.add("GET", "/crm/v3/properties/{type}", self.list_properties)
        router.add("GET", "/crm/v3/properties/{type}/{name}", self.get_property)
        router.add("POST", "/oauth/v2/private-apps/get/access-token-info", self.token_info)
        router.add("GET", "/oauth/v1/access-tokens/{token}", self.oauth_token_info)

    # -- owners and teams ------------------------------------------------------------------------

    def list_owners(self, call: Call) -> SandboxResponse:
        limit = call.int_arg("limit", DEFAULT_OWNER_PAGE, MAX_OWNER_PAGE)
        owners = self.state.owners.listed(call.arg("email"), call.flag("archived"))
        after = call.arg("after")
        if after and after.isdigit():
            owners = [o for o in owners if int(o["id"]) >= int(after)]
        body: dict[str, Any] = {"results": owners[:limit]}
        if len(owners) > limit:
            body["paging"] = next_page(call.request.path, owners[limit]["id"])
        return SandboxResponse(200, body)

    def get_owner(self, call: Call) -> SandboxResponse:
        id_property = call.arg("idProperty") or "id"
        if id_property not in ("id", "userId"):
            raise validation_error(f"idProperty must be id or userId; got {id_property!r}.")
        owner = self.state.owners.get(call.params["id"], id_property)
        if owner is None or owner["archived"] != call.flag("archived"):
            raise not_found(f"Owner {call.params['id']} not found.", id=[call.params["id"]])
        return SandboxResponse(200, owner)

    def list_teams(self, call: Call) -> SandboxResponse:
        return SandboxResponse(200, {"results": self.state.owners.teams_json()})

    # -- pipelines -------------------------------------------------------------------------------

    def _check_pipeline_type(self, call: Call) -> None:
        otype = self.state.object_type(call.params["type"])
        if otype.name not in PIPELINE_TYPES:
            raise validation_error(f"Pipelines are not supported for {otype.name}.")

    def _pipeline(self, call: Call) -> Pipeline:
        self._check_pipeline_type(call)
        pipeline = self.state.ref.pipeline(call.params["id"])
        if pipeline is None:
            raise not_found(f"Pipeline {call.params['id']} not found.", id=[call.params["id"]])
        return pipeline

    def list_pipelines(self, call: Call) -> SandboxResponse:
        self._check_pipeline_type(call)
        created = self.state.ref.created_at
        return SandboxResponse(200, {"results": [p.as_json(created) for p in self.state.ref.pipelines]})

    def get_pipeline(self, call: Call) -> SandboxResponse:
        return SandboxResponse(200, self._pipeline(call).as_json(self.state.ref.created_at))

    def list_stages(self, call: Call) -> SandboxResponse:
        stages = self._pipeline(call).as_json(self.state.ref.created_at)["stages"]
        return SandboxResponse(200, {"results": stages})

    # -- properties ------------------------------------------------------------------------------

    def list_properties(self, call: Call) -> SandboxResponse:
        otype = self.state.object_type(call.params["type"])
        created = self.state.ref.created_at
        props = [p.as_json(self.state.validator.options(p), created) for p in otype.properties.values()]
        return SandboxResponse(200, {"results": [] if call.flag("archived") else props})

    def get_property(self, call: Call) -> SandboxResponse:
        otype = self.state.object_type(call.params["type"])
        prop = otype.properties.get(call.params["name"])
        if prop is None:
            raise not_found(
                f"Unable to find property {call.params['name']} for object type {otype.name}",
                propertyName=[call.params["name"]],
            )
        return SandboxResponse(
            200, prop.as_json(self.state.validator.options(prop), self.state.ref.created_at)
        )

    # -- token -----------------------------------------------------------------------------------

    def oauth_token_info(self, call: Call) -> SandboxResponse:
        """An OAuth access token's metadata (HubSpot's OAuth guide: ``GET oauth/v1/access-tokens/{token}``)."""
        if call.params["token"] != self.settings.oauth_access_token:
            raise ApiError(404, "OBJECT_NOT_FOUND", "The access token is not valid or has expired.")
        return SandboxResponse(
            200,
            {
                "token": call.params["token"],
                "hub_id": self.state.ref.portal_id,
                "app_id": 0,
                "user_id": 0,
                "scopes": list(self.settings.scopes),
                "token_type": "access",
                "expires_in": 1800,
            },
        )

    def token_info(self, call: Call) -> SandboxResponse:
        body = call.json()
        if not isinstance(body, dict) or body.get("tokenKey") != self.settings.access_token:
            raise ApiError(401, "INVALID_AUTHENTICATION", "The access token is not valid.")
        return SandboxResponse(
            200, {"userId": 0, "hubId": self.state.ref.portal_id, "appId": 0, "scopes": list(self.settings.scopes)}
        )
