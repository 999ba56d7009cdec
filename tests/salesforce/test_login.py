"""Logging in to a real org: client credentials at My Domain only, the JWT audience of the org's type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rules.source import ConfigErrors
from sandbox.salesforce.testing import rsa_key_pair
from sync.connectors.base import AccessRefused
from sync.connectors.registry import load_config
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.settings import SalesforceSettings, salesforce_settings
from tests.conftest import BASE_CONFIG
from tests.salesforce.conftest import Org

MY_DOMAIN = "https://example.my.salesforce.com"


@pytest.mark.parametrize("host", ["https://login.salesforce.com", "https://test.salesforce.com/"])
def test_client_credentials_at_a_generic_login_host_is_refused_at_load_naming_my_domain(
    write_config: Callable[..., Path], host: str
) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_config(write_config(base=BASE_CONFIG.replace(MY_DOMAIN, host)), offline=True)
    text = str(caught.value)
    assert "generic login host" in text and "My Domain" in text and "NAME.my.salesforce.com" in text


def test_the_sandbox_and_my_domain_urls_stay_allowed_for_client_credentials() -> None:
    for url in (MY_DOMAIN, "https://localhost:8443", "https://sandbox.crm-sync.test"):
        assert SalesforceSettings(login_url=url, client_id="c", client_secret="s").login_url == url


def _jwt(**fields: object) -> SalesforceSettings:
    base: dict[str, object] = {
        "login_url": MY_DOMAIN, "auth": "jwt", "client_id": "c", "username": "u@x.test", "private_key": "k"
    }
    return SalesforceSettings.model_validate({**base, **fields})


def test_jwt_audience_defaults_from_the_org_type_never_the_login_url() -> None:
    assert _jwt().audience == "https://login.salesforce.com"
    assert _jwt(org_type="sandbox").audience == "https://test.salesforce.com"
    site = "https://acme.my.site.com/partners"
    assert _jwt(jwt_audience=site).audience == site


@pytest.mark.parametrize(
    ("audience", "org_type", "expected"),
    [
        (MY_DOMAIN, "production", "never the My Domain URL"),
        ("https://acme.lightning.force.com", "production", "never the My Domain URL"),
        ("https://test.salesforce.com", "production", "for a production org is https://login.salesforce.com"),
        ("https://login.salesforce.com", "sandbox", "for a sandbox org is https://test.salesforce.com"),
        ("login.salesforce.com", "production", "not an https URL"),
    ],
)
def test_a_wrong_jwt_audience_is_refused_with_the_right_one(audience: str, org_type: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        _jwt(jwt_audience=audience, org_type=org_type)


def test_jwt_login_to_a_sandbox_org_uses_test_salesforce_com(org: Org) -> None:
    """Fails when the audience defaults to the login URL (the emulator, like Salesforce, refuses it)."""
    private, public = rsa_key_pair()
    org.sf.settings.jwt_public_key_pem = public
    org.sf.settings.org_type = "sandbox"
    org.sf.insert("User", {"Username": "bot@org.test", "LastName": "Bot", "Email": "bot@org.test"})
    configured = salesforce_settings(org.ruleset)
    assert configured is not None
    settings = configured.model_copy(
        update={"auth": "jwt", "username": "bot@org.test", "private_key": private, "org_type": "sandbox"}
    )
    assert "DailyApiRequests" in SalesforceClient(settings, org.clock).call(lambda sf: sf.restful("limits"))
    production = settings.model_copy(update={"org_type": "production"})
    with pytest.raises(AccessRefused, match="audience is invalid"):
        SalesforceClient(production, org.clock).call(lambda sf: sf.restful("limits"))
