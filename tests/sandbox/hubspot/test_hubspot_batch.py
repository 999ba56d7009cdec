"""crm/v3/objects/{type}/batch/*: limits, all-or-nothing vs 207 partial results, upsert by unique key."""

from __future__ import annotations

BATCH = "/crm/v3/objects/tickets/batch/{}"
STAGE = {"hs_pipeline": "0", "hs_pipeline_stage": "1"}


def ticket_input(key: str, trace: str | None = None, **props) -> dict:
    item = {"properties": {"subject": f"ticket {key}", "crm_sync_key": key, **STAGE, **props}}
    if trace:
        item["objectWriteTraceId"] = trace
    return item


def test_create_answers_201_with_results(api, emulator):
    response = api("POST", BATCH.format("create"), {"inputs": [ticket_input("a"), ticket_input("b")]})
    assert response.status == 201
    assert response.body["status"] == "COMPLETE"
    assert [r["properties"]["crm_sync_key"] for r in response.body["results"]] == ["a", "b"]
    assert "errors" not in response.body and "numErrors" not in response.body
    assert len(emulator.objects("tickets")) == 2


def test_more_than_100_inputs_is_400(api, emulator):
    response = api("POST", BATCH.format("create"), {"inputs": [ticket_input(str(i)) for i in range(101)]})
    assert response.status == 400
    assert response.body["category"] == "VALIDATION_ERROR"
    assert emulator.objects("tickets") == []


def test_without_trace_ids_one_bad_input_fails_the_whole_batch(api, emulator):
    inputs = [ticket_input("a"), ticket_input("b", nps_score="high"), ticket_input("a")]
    response = api("POST", BATCH.format("create"), {"inputs": inputs})
    assert response.status == 400
    assert emulator.objects("tickets") == []
    repeated_key = api("POST", BATCH.format("create"), {"inputs": [ticket_input("a"), ticket_input("a")]})
    assert repeated_key.status == 400
    assert emulator.objects("tickets") == []


def test_with_trace_ids_partial_failure_is_207(api, emulator, make_ticket):
    make_ticket(crm_sync_key="taken")
    inputs = [
        ticket_input("ok", "t1"),
        ticket_input("bad", "t2", unknown_prop="x"),
        ticket_input("taken", "t3"),
    ]
    response = api("POST", BATCH.format("create"), {"inputs": inputs})
    assert response.status == 207
    body = response.body
    assert body["status"] == "COMPLETE"
    assert [r["properties"]["crm_sync_key"] for r in body["results"]] == ["ok"]
    assert body["numErrors"] == 2
    for error, trace in zip(body["errors"], ["t2", "t3"], strict=True):
        assert error["status"] == "error"
        assert error["category"] == "VALIDATION_ERROR"
        assert error["message"]
        assert error["context"]["objectWriteTraceId"] == [trace]
    assert sorted(t["properties"]["crm_sync_key"] for t in emulator.objects("tickets")) == ["ok", "taken"]


def test_read_reports_missing_ids_as_207_and_supports_id_property(api, make_ticket):
    ticket = make_ticket(crm_sync_key="k1", nps_score="2")
    by_id = api(
        "POST",
        BATCH.format("read"),
        {"inputs": [{"id": ticket["id"]}, {"id": "404"}], "properties": ["nps_score"]},
    )
    assert by_id.status == 207
    assert by_id.body["results"][0]["properties"]["nps_score"] == "2"
    assert by_id.body["errors"] == [
        {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some TICKET objects, they may be deleted or not exist. Check that ids are valid.",
            "context": {"ids": ["404"]},
        }
    ]
    by_key = api("POST", BATCH.format("read"), {"inputs": [{"id": "k1"}], "idProperty": "crm_sync_key"})
    assert by_key.status == 200
    assert [r["id"] for r in by_key.body["results"]] == [ticket["id"]]


def test_update_changes_records_and_refuses_duplicate_ids(api, make_ticket, clock):
    first, second = make_ticket(), make_ticket()
    clock.advance(5)
    inputs = [
        {"id": first["id"], "properties": {"nps_score": "1"}},
        {"id": second["id"], "properties": {"nps_score": "9"}},
    ]
    response = api("POST", BATCH.format("update"), {"inputs": inputs})
    assert response.status == 200
    assert [r["properties"]["nps_score"] for r in response.body["results"]] == ["1", "9"]
    assert response.body["results"][0]["updatedAt"] == "2026-03-02T09:00:05.000Z"
    assert api("POST", BATCH.format("update"), {"inputs": inputs[:1] * 2}).status == 400


def test_upsert_by_crm_sync_key_creates_then_updates(api, emulator, make_ticket):
    existing = make_ticket(crm_sync_key="nps-1", nps_score="4")
    inputs = [
        {"idProperty": "crm_sync_key", "id": "nps-1", "properties": {"nps_score": "5"}},
        {"idProperty": "crm_sync_key", "id": "nps-2", "properties": {"subject": "new one", **STAGE}},
    ]
    first = api("POST", BATCH.format("upsert"), {"inputs": inputs})
    assert first.status == 200
    results = {r["properties"]["crm_sync_key"]: r for r in first.body["results"]}
    assert results["nps-1"]["new"] is False and results["nps-1"]["id"] == existing["id"]
    assert results["nps-1"]["properties"]["nps_score"] == "5"
    assert results["nps-2"]["new"] is True

    again = api("POST", BATCH.format("upsert"), {"inputs": inputs})
    assert [r["new"] for r in again.body["results"]] == [False, False]
    assert len(emulator.objects("tickets")) == 2


def test_upsert_needs_a_unique_id_property(api):
    inputs = [{"idProperty": "subject", "id": "x", "properties": {}}]
    assert api("POST", BATCH.format("upsert"), {"inputs": inputs}).status == 400


def test_archive_is_204_and_ignores_unknown_ids(api, emulator, make_ticket):
    ticket = make_ticket()
    response = api("POST", BATCH.format("archive"), {"inputs": [{"id": ticket["id"]}, {"id": "123"}]})
    assert response.status == 204 and response.body is None
    assert emulator.objects("tickets") == []
    assert len(emulator.objects("tickets", include_archived=True)) == 1
