"""The shipped close-the-loop digest, turned on, sent through the HubSpot emulator: once per slot."""

from __future__ import annotations

import shutil
from pathlib import Path

from sync.connectors.registry import load_config
from sync.engine import Engine
from tests.hubspot.test_nps_rules import World, world  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_the_close_the_loop_digest_goes_out_once_through_hubspot(
    world: World,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    text = (ROOT / "config.yaml").read_text()
    start = text.index("  - id: weekly-close-the-loop")
    text = text[:start] + text[start:].replace("enabled: false\n", "enabled: true\n", 1)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "config.yaml").write_text(text)
    ruleset = load_config(tmp_path / "config.yaml")
    assert [r.id for r in ruleset.scheduled] == ["weekly-close-the-loop", "nps-drift-below-baseline"]
    digest_only = type(ruleset)(
        **{
            **ruleset.__dict__,
            "rules": tuple(r for r in ruleset.rules if r.stream.crm == "hubspot"),
            "scheduled": ruleset.scheduled[:1],
        }
    )
    world.engine = Engine(
        digest_only, world.store, world.engine.connectors, rules_clock=world.clock, wall_clock=world.clock
    )
    analyst = world.portal.analyst()
    world.portal.submission(world.portal.customer(analyst), "3")
    world.cycle()
    world.cycle()
    (digest,) = world.emails("Closing the loop with detractors")
    assert digest["to"] == ["customer-success-lead@example.com"]
    assert "response to first call" in str(digest)  # the report's tables in the body
