"""What the configured actions write: Task fields and its external id, feed tracking for Chatter posts,
and the fields ``update_record`` sets."""

from __future__ import annotations

from rules.actions.chatter import PostChatter
from rules.actions.task import CreateTask
from rules.actions.update import UpdateRecord
from sync.connectors.checks import Checks
from sync.connectors.salesforce.writes import TASK_KEY_FIELD, task_subtype

from .context import OrgContext

#: Task fields every create_task may write (``TaskSubtype`` only when a rule gives a ``type``).
TASK_FIELDS = ("Subject", "WhatId", "Description", "ActivityDate", "OwnerId", "Priority", "Status")
WRITE_FIX = "grant the integration user edit access to them (field-level security)"


def check_task_fields(org: OrgContext, out: Checks) -> None:
    """The Task fields create_task writes exist and the integration user may set them."""
    uses = list(org.uses(CreateTask.name))
    if not uses:
        return
    if org.describe("Task") is None:
        out.block("task fields", "the integration user cannot see Task", f"grant it Task access; {WRITE_FIX}")
        return
    wanted = set(TASK_FIELDS)
    problems = []
    for rule, compiled in uses:
        wanted.update(compiled.fields)
        if compiled.type:
            wanted.add("TaskSubtype")
            try:
                task_subtype(compiled.type)
            except ValueError as exc:
                problems.append(f"rule {rule.id}: {exc}")
    for name in sorted(wanted):
        described = org.field("Task", name)
        create_only = name == "TaskSubtype"  # settable on create only (Task object reference)
        if described is None:
            problems.append(f"{name} is missing")
        elif not (described.get("createable") and (create_only or described.get("updateable"))):
            problems.append(f"{name} is not writable")
    if problems:
        out.block("task fields", "Task: " + "; ".join(problems), f"create the fields or {WRITE_FIX}")
    else:
        out.ok("task fields", f"Task: {', '.join(sorted(wanted))} writable")


def check_task_key(org: OrgContext, out: Checks) -> None:
    """Tasks are upserted on ``Crm_Sync_Key__c``: it must be an External ID marked Unique, or a retried
    call adds a second Task (or the upsert is refused)."""
    if not any(org.uses(CreateTask.name)):
        return
    name = "task external id"
    fix = (
        f"in Setup > Object Manager > Activity > Fields, create {TASK_KEY_FIELD} (Text, 255) with "
        "'External ID' and 'Unique' checked, writable by the integration user"
    )
    described = org.field("Task", TASK_KEY_FIELD)
    if described is None:
        out.block(name, f"Task has no field {TASK_KEY_FIELD}", fix)
        return
    lacking = [
        flag for flag, key in (("External ID", "externalId"), ("Unique", "unique")) if not described.get(key)
    ]
    if lacking:
        out.block(name, f"Task.{TASK_KEY_FIELD} is not {' and not '.join(lacking)}", fix)
    else:
        out.ok(name, f"Task.{TASK_KEY_FIELD} is an External ID marked Unique")


def check_feed_tracking(org: OrgContext, out: Checks) -> None:
    """A Chatter post needs feed tracking on the object it is posted on."""
    objects = sorted({rule.stream.object for rule, _ in org.uses(PostChatter.name)})
    for sobject in objects:
        name = f"feed tracking {sobject}"
        described = org.describe(sobject)
        if described is None:
            continue  # the stream check names the missing object
        if "feedEnabled" not in described:
            out.warn(
                name,
                f"the describe of {sobject} does not say whether feed tracking is on",
                f"check Setup > Feed Tracking > {sobject}: 'Enable Feed Tracking'",
            )
        elif not described["feedEnabled"]:
            out.block(
                name,
                f"feed tracking is off for {sobject}: Chatter posts on its records are refused",
                f"in Setup > Feed Tracking, select {sobject} and check 'Enable Feed Tracking'",
            )
        else:
            out.ok(name, f"feed tracking is on for {sobject}")


def check_update_fields(org: OrgContext, out: Checks) -> None:
    """The fields update_record sets exist on the stream's object and are updateable."""
    wanted: dict[str, set[str]] = {}
    for rule, compiled in org.uses(UpdateRecord.name):
        wanted.setdefault(rule.stream.object, set()).update(compiled.fields)
    for sobject, fields in sorted(wanted.items()):
        if org.describe(sobject) is None:
            continue
        problems = []
        for name in sorted(fields):
            described = org.field(sobject, name)
            if described is None:
                problems.append(f"{name} is missing")
            elif not described.get("updateable"):
                problems.append(f"{name} is not updateable")
        check = f"updates {sobject}"
        if problems:
            out.block(check, f"{sobject}: " + "; ".join(problems), f"create the fields or {WRITE_FIX}")
        else:
            out.ok(check, f"{sobject}: {', '.join(sorted(fields))} updateable")
