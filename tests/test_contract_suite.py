"""The contract suite's plugin (``tests.contract.markers``) and its live switch (``tests.contract.live``),
run on small throwaway suites with pytester."""

from __future__ import annotations

import pytest

from tests.contract.live import HUBSPOT_DEFAULT_URL, SALESFORCE_VARS, LiveConfigError, live_target
from tests.contract.markers import BACKDOOR_REASON

CONFTEST = """
from pathlib import Path

from sandbox.testing import sandbox_server, sandbox_server_session  # noqa: F401
from tests.contract.conftest import backdoor, base_url, env, hs, http, live, sf_login  # noqa: F401
from tests.contract.live import live_target
from tests.contract.markers import BACKDOOR_MARKER, PLUGIN_NAME, ContractSuite


def pytest_configure(config):
    config.addinivalue_line("markers", BACKDOOR_MARKER)
    config.pluginmanager.register(ContractSuite(Path(__file__).parent, live_target()), PLUGIN_NAME)
"""
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
markers =
    documented(source): documented
    guessed(why): guessed
"""
LIVE = {
    "CRM_SYNC_LIVE_SALESFORCE_LOGIN_URL": "https://acme-dev-ed.develop.my.salesforce.com/",
    "CRM_SYNC_LIVE_SALESFORCE_CLIENT_ID": "live-client",
    "CRM_SYNC_LIVE_SALESFORCE_CLIENT_SECRET": "live-secret",
    "CRM_SYNC_LIVE_HUBSPOT_ACCESS_TOKEN": "pat-na1-live",
}


def skip_reasons(suite: pytest.Pytester) -> dict[str, str]:
    """Test name -> skip reason, from a second in-process run of the throwaway suite."""
    _, skipped, _ = suite.inline_run().listoutcomes()
    return {report.nodeid.rsplit("::", 1)[1]: str(report.longrepr[2]).removeprefix("Skipped: ") for report in skipped}  # type: ignore[index]


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in LIVE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CRM_SYNC_LIVE_HUBSPOT_BASE_URL", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    return pytester


def test_collection_fails_for_a_test_without_a_source(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_contract="""
        import pytest

        @pytest.mark.documented("https://example.test/docs")
        def test_sourced(): pass

        def test_unmarked(): pass

        @pytest.mark.documented("  ")
        def test_blank_source(): pass

        @pytest.mark.guessed()
        def test_guess_without_reason(): pass

        @pytest.mark.documented("https://example.test/docs")
        @pytest.mark.guessed("unknown")
        def test_both(): pass
        """
    )
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*contract tests must name the source of the behaviour they check:",
            "*test_contract.py::test_unmarked: has neither @pytest.mark.documented*",
            "*test_contract.py::test_blank_source: @pytest.mark.documented needs one non-empty string*",
            "*test_contract.py::test_guess_without_reason: @pytest.mark.guessed needs one non-empty string*",
            "*test_contract.py::test_both: is marked both documented and guessed",
        ]
    )
    assert "test_sourced" not in result.stderr.str()


def test_marked_tests_run_and_the_summary_counts_them(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_contract="""
        import pytest

        pytestmark = pytest.mark.guessed("the whole module: undocumented")

        def test_one(): pass

        @pytest.mark.parametrize("n", [1, 2])
        def test_two(n): pass
        """,
        test_other="""
        import pytest

        @pytest.mark.documented("Salesforce REST API Developer Guide: Query")
        def test_three(): pass
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*contract tests (the served sandbox): 1 documented, 3 guessed, 0 using the sandbox's back door"]
    )


LIVE_TESTS = """
import pytest
import responses

SOURCE = pytest.mark.documented("https://example.test/docs")


@SOURCE
def test_env_and_base_url_name_the_live_systems(env, base_url):
    assert env["SALESFORCE_LOGIN_URL"] == "https://acme-dev-ed.develop.my.salesforce.com"
    assert env["SALESFORCE_CLIENT_ID"] == "live-client"
    assert env["HUBSPOT_BASE_URL"] == "https://api.hubapi.com"
    assert env["HUBSPOT_ACCESS_TOKEN"] == "pat-na1-live"
    assert base_url == "https://acme-dev-ed.develop.my.salesforce.com"


@SOURCE
def test_sf_login_asks_the_live_org(sf_login):
    assert sf_login["instance_url"] == "https://acme-dev-ed.develop.my.salesforce.com"


@pytest.fixture(autouse=True)
def token_endpoint():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            "https://acme-dev-ed.develop.my.salesforce.com/services/oauth2/token",
            json={"access_token": "00D!live", "instance_url": "https://acme-dev-ed.develop.my.salesforce.com"},
            match=[responses.matchers.header_matcher({"Authorization": "Basic bGl2ZS1jbGllbnQ6bGl2ZS1zZWNyZXQ="})],
        )
        yield


@SOURCE
def test_hs_talks_to_the_live_portal(hs):
    assert hs.config["access_token"] == "pat-na1-live"
    assert hs.config["host"] == "https://api.hubapi.com"


@SOURCE
def test_seeds_through_the_back_door(backdoor):
    raise AssertionError("a back door test must not run live")


@SOURCE
@pytest.mark.backdoor
def test_marked_backdoor(env):
    raise AssertionError("a back door test must not run live")
"""


def test_live_vars_point_the_fixtures_at_the_live_systems_and_skip_the_back_door(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in LIVE.items():
        monkeypatch.setenv(name, value)
    suite.makepyfile(test_contract=LIVE_TESTS)
    result = suite.runpytest()
    result.assert_outcomes(passed=3, skipped=2)
    assert skip_reasons(suite) == {
        "test_seeds_through_the_back_door": BACKDOOR_REASON,
        "test_marked_backdoor": BACKDOOR_REASON,
    }
    result.stdout.fnmatch_lines(
        [
            "*contract tests (live: Salesforce https://acme-dev-ed.develop.my.salesforce.com, "
            "HubSpot https://api.hubapi.com): 5 documented, 0 guessed, 2 using the sandbox's back door",
        ]
    )


def test_a_crm_without_live_vars_is_skipped_in_a_live_run(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_SYNC_LIVE_HUBSPOT_ACCESS_TOKEN", "pat-na1-live")
    suite.makepyfile(
        test_salesforce_thing="""
        import pytest

        @pytest.mark.documented("https://example.test/docs")
        def test_by_module_name(env): raise AssertionError("Salesforce is not live")
        """,
        test_mixed="""
        import pytest

        @pytest.mark.documented("https://example.test/docs")
        def test_by_fixture(sf_login): raise AssertionError("Salesforce is not live")

        @pytest.mark.documented("https://example.test/docs")
        def test_hubspot(hs): assert hs.config["host"] == "https://api.hubapi.com"
        """,
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, skipped=2)
    not_live = "salesforce is not live in this run: set " + ", ".join(SALESFORCE_VARS)
    assert skip_reasons(suite) == {"test_by_module_name": not_live, "test_by_fixture": not_live}


def test_without_live_vars_the_fixtures_use_the_served_sandbox(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_contract="""
        import pytest

        @pytest.mark.documented("https://example.test/docs")
        def test_sandbox(env, base_url, backdoor, sandbox_server):
            assert base_url == env["SALESFORCE_LOGIN_URL"] == env["HUBSPOT_BASE_URL"] == sandbox_server.url
            assert base_url.startswith("https://127.0.0.1:")
            assert backdoor.hubspot_owner("a@b.test", "A", "B", ["BPA"])["email"] == "a@b.test"
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CRM_SYNC_LIVE_SALESFORCE_LOGIN_URL": "https://x.my.salesforce.com"}, "CLIENT_ID, CRM_SYNC_LIVE_SALESFORCE_CLIENT_SECRET not set"),
        ({**LIVE, "CRM_SYNC_LIVE_SALESFORCE_LOGIN_URL": "http://x.my.salesforce.com"}, "must be an https:// URL"),
        ({"CRM_SYNC_LIVE_HUBSPOT_BASE_URL": "https://api.hubapi.com"}, "CRM_SYNC_LIVE_HUBSPOT_ACCESS_TOKEN is not"),
        ({"CRM_SYNC_LIVE_HUBSPOT_TOKEN": "pat"}, "unknown variable(s) CRM_SYNC_LIVE_HUBSPOT_TOKEN"),
    ],
)
def test_incomplete_live_configuration_is_a_located_error(environ: dict[str, str], message: str) -> None:
    with pytest.raises(LiveConfigError) as caught:
        live_target(environ)
    assert message in str(caught.value)


def test_live_target_reads_the_variables() -> None:
    assert not live_target({}).active
    assert not live_target({"CRM_SYNC_LIVE_HUBSPOT_ACCESS_TOKEN": "  "}).active
    target = live_target(LIVE)
    assert target.salesforce is not None and target.salesforce.login_url.endswith(".salesforce.com")
    assert target.hubspot is not None and target.hubspot.base_url == HUBSPOT_DEFAULT_URL
