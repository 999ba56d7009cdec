"""Property write validation: unknown and read-only properties, value types, options, required fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import PropertyIssue, property_error
from .owners import OwnerDirectory
from .portal import ObjectType, PropertyDef, Reference
from .timeutil import ms_to_iso, parse_instant

DEFAULT_TICKET_PIPELINE = "0"


def as_text(value: Any) -> str | None:
    """A written value as HubSpot stores it: a string, ``None`` for null/empty (clears the property)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Validator:
    """Normalises property writes against the portal's schema and current owners, teams and pipelines."""

    def __init__(self, ref: Reference, owners: OwnerDirectory) -> None:
        self.ref = ref
        self.owners = owners

    def options(self, prop: PropertyDef, pipeline_id: str | None = None) -> list[tuple[str, str]]:
        """(value, label) options of an enumeration; stages of ``pipeline_id`` (or of all pipelines)."""
        if prop.options_from == "owners":
            return self.owners.owner_options()
        if prop.options_from == "teams":
            return list(self.owners.teams)
        if prop.options_from == "pipelines":
            return [(p.id, p.label) for p in self.ref.pipelines]
        if prop.options_from == "stages":
            pipelines = [p for p in self.ref.pipelines if pipeline_id in (None, p.id)]
            return [(s.id, s.label) for p in pipelines for s in p.stages]
        return [(value, value.replace("_", " ").capitalize()) for value in prop.options]

    def normalize(
        self,
        otype: ObjectType,
        values: Mapping[str, Any],
        existing: Mapping[str, str | None] | None = None,
        trusted: bool = False,
    ) -> dict[str, str | None]:
        """Validated, normalised values for a create (``existing is None``) or an update.

        ``trusted`` (sandbox seeding) may also set server-maintained timestamps. Raises the
        400 "Property values were not valid" error listing every problem.
        """
        creating = existing is None
        issues: list[PropertyIssue] = []
        result: dict[str, str | None] = {}
        for name, raw in values.items():
            prop = otype.properties.get(name)
            if prop is None:
                issues.append(
                    PropertyIssue(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                )
                continue
            writable_on_create = creating and name in ("hs_createdate", otype.created_property)
            if prop.read_only and not (trusted or writable_on_create):
                issues.append(
                    PropertyIssue(name, "READ_ONLY_VALUE", f'Property "{name}" is a read only property')
                )
                continue
            text = as_text(raw)
            if text is None:
                result[name] = None
                continue
            normalized, issue = self._typed(prop, text)
            if issue is not None:
                issues.append(issue)
            else:
                result[name] = normalized
        if otype.name == "tickets":
            issues.extend(self._ticket_pipeline(result, existing))
        if creating:
            issues.extend(
                PropertyIssue(name, "REQUIRED_PROPERTY", f'Property "{name}" is required')
                for name in otype.required
                if result.get(name) is None and not any(i.name == name for i in issues)
            )
        if issues:
            raise property_error(issues, self.ref.portal_id)
        return result

    def _typed(self, prop: PropertyDef, text: str) -> tuple[str | None, PropertyIssue | None]:
        """The stored form of ``text`` for ``prop``, or the issue that makes it invalid."""
        if prop.type == "number":
            try:
                float(text)
            except ValueError:
                return None, PropertyIssue(prop.name, "INVALID_INTEGER", f"{text!r} was not a valid number.")
            return text.strip(), None
        if prop.type in ("datetime", "date"):
            ms = parse_instant(text)
            if ms is None:
                return None, PropertyIssue(prop.name, "INVALID_DATE", f"{text!r} was not a valid date.")
            if prop.type == "date":
                day = datetime.fromtimestamp(ms // 1000, UTC)
                if ms % 86_400_000:
                    return None, PropertyIssue(
                        prop.name,
                        "INVALID_DATE",
                        f"{text!r} is not midnight UTC, as date properties require.",
                    )
                return day.strftime("%Y-%m-%d"), None
            return ms_to_iso(ms), None
        if prop.type == "bool":
            if text.lower() not in ("true", "false"):
                return None, PropertyIssue(prop.name, "INVALID_BOOLEAN", f"{text!r} was not a valid boolean.")
            return text.lower(), None
        if prop.type == "enumeration" and prop.options_from != "stages":
            allowed = [value for value, _ in self.options(prop)]
            chosen = text.split(";") if prop.field_type == "checkbox" else [text]
            bad = [value for value in chosen if value not in allowed]
            if bad:
                return None, PropertyIssue(
                    prop.name, "INVALID_OPTION", f"{bad[0]!r} was not one of the allowed options: {allowed}"
                )
        return text, None

    def _ticket_pipeline(
        self, result: dict[str, str | None], existing: Mapping[str, str | None] | None
    ) -> list[PropertyIssue]:
        """Default the pipeline on create; the stage must belong to the ticket's pipeline."""
        if existing is None and result.get("hs_pipeline") is None:
            result["hs_pipeline"] = DEFAULT_TICKET_PIPELINE
        pipeline_id = (
            result.get("hs_pipeline") or (existing or {}).get("hs_pipeline") or DEFAULT_TICKET_PIPELINE
        )
        stage = result.get("hs_pipeline_stage")
        pipeline = self.ref.pipeline(pipeline_id)
        if stage is None or pipeline is None or pipeline.stage(stage) is not None:
            return []
        allowed = [s.id for s in pipeline.stages]
        return [
            PropertyIssue(
                "hs_pipeline_stage",
                "INVALID_OPTION",
                f"{stage!r} was not one of the allowed options: {allowed} (stages of pipeline {pipeline_id})",
            )
        ]
