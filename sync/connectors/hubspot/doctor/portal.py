"""Portal configuration the rules name: ticket pipelines and stages (by label), teams (owners' teams),
and the transactional email every send uses."""

from __future__ import annotations

from rules.actions.email import Notify, SendEmail
from rules.actions.ticket import CreateTicket
from sync.connectors.checks import Checks

from ..tickets import Pipelines
from .context import PortalContext

TRANSACTIONAL_FIX = (
    "create a transactional email (Marketing Hub's Transactional Email add-on) whose subject and body are "
    "the custom properties subject and body (or html), and put its id in hubspot.transactional_email_id"
)


def check_pipelines(portal: PortalContext, out: Checks) -> None:
    """Every (pipeline, stage) label pair create_ticket names exists, matched as the adapter matches."""
    pairs = sorted({(c.pipeline, c.stage) for _, c in portal.uses(CreateTicket.name)})
    pipelines = Pipelines(portal.api)
    for pipeline, stage in pairs:
        name = f"pipeline {pipeline} / {stage}"
        try:
            pipelines.resolve(pipeline, stage)
        except ValueError as exc:
            out.block(
                name,
                str(exc),
                "create the pipeline and stage in Settings > Objects > Tickets > Pipelines, or correct "
                "create_ticket's pipeline and stage (labels) in the configuration",
            )
        else:
            out.ok(name, f"ticket pipeline {pipeline!r} has a stage {stage!r}")


def check_teams(portal: PortalContext, out: Checks) -> None:
    """Teams named by team and round-robin roles exist and have active members with an email."""
    named = sorted(
        (role.team or role.round_robin or "", role.name)
        for role in portal.ruleset.roles.values()
        if (role.team or role.round_robin) and role.source in {s.name for s in portal.streams}
    )
    if not named:
        return
    teams = portal.connector.teams()
    for team in sorted({t for t, _ in named}):
        roles = ", ".join(r for t, r in named if t == team)
        name = f"team {team}"
        members = [m for m in teams.get(team, []) if m.get("active") and m.get("email")]
        if team not in teams:
            known = ", ".join(sorted(teams)) or "none"
            out.block(
                name,
                f"no HubSpot owner is in a team named {team!r}, so role {roles} reaches nobody "
                f"(teams with members: {known})",
                f"create the team in Settings > Users & Teams > Teams and add its members, or correct the role {roles}",
            )
        elif not members:
            out.warn(
                name,
                f"team {team!r} has no active member with an email (role {roles})",
                "add members to the team",
            )
        else:
            out.ok(name, f"team {team!r}: {len(members)} active member(s) (role {roles})")


def check_transactional_email(portal: PortalContext, out: Checks) -> None:
    if not any(portal.uses(SendEmail.name, Notify.name)):
        return
    email_id = portal.settings.transactional_email_id
    if email_id <= 0:
        out.block(
            "transactional email",
            f"hubspot.transactional_email_id is {email_id}: HubSpot has no such email, every send would fail",
            TRANSACTIONAL_FIX,
        )
    elif portal.scopes is not None and "transactional-email" not in portal.scopes:
        out.block(
            "transactional email",
            f"email {email_id} cannot be sent: the token lacks the transactional-email scope",
            "add the transactional-email scope to the private app (it needs the Transactional Email add-on)",
        )
    else:
        out.ok("transactional email", f"sends use transactional email {email_id}")
