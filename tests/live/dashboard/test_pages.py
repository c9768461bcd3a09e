"""Every page of the dashboard on a generated store: content and status codes."""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

from dashboard_client import fetch
from generated_store import END, ENDPOINT, SCHEDULES

from byom_monitor.io import storage
from byom_monitor.live.schedule import ExecutionRecord, ScheduleStore

LAST = END.isoformat()


def execution_url(base: str, schedule: str, when: str = LAST) -> str:
    return f"{base}/schedules/{schedule}/executions/{quote(when, safe='')}"


def baseline(config, key: str) -> dict:
    return json.loads(storage.read_text(config.get_baseline(key)))


def latest_outputs(config, schedule: str) -> dict[str, str]:
    with closing(sqlite3.connect(config.database)) as db:
        row = db.execute("SELECT outputs FROM executions WHERE schedule = ? AND scheduled_time = ?",
                         (schedule, LAST)).fetchone()
    return json.loads(row[0])


# -- page 1 ---------------------------------------------------------------------------------------
def test_overview_lists_every_schedule_and_the_endpoint(dashboard):
    page = fetch(dashboard + "/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    for name in SCHEDULES:
        assert f"href='/schedules/{name}'" in page.body
    assert f"href='/endpoints/{ENDPOINT}'" in page.body
    assert "<script" not in page.body  # no JavaScript at all
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_overview_puts_failed_then_violating_items_first(own_store, serve):
    store = ScheduleStore(own_store.database)
    later = "2025-01-01T01:00:00+00:00"
    store.save(ExecutionRecord("model-quality-hourly", later, "Failed", "Failed: no data",
                               "no data"))
    store.save(ExecutionRecord("data-quality-hourly", later, "Completed", "Completed",
                               metrics={"violations": 0.0}))
    body = fetch(serve(own_store) + "/").body
    schedules = body[body.index("<h2>Schedules</h2>"):]
    order = [m for m in re.findall(r"href='/schedules/([\w-]+)'>", schedules)]
    assert order[0] == "model-quality-hourly"
    assert order[-1] == "data-quality-hourly"
    assert set(order[1:3]) == {"model-bias-hourly", "model-explainability-hourly"}
    assert "no data" in schedules


def test_an_empty_store_says_how_to_create_a_schedule(tmp_path, serve):
    from byom_monitor.io.config import Config

    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "database", str(tmp_path / "absent.sqlite"))
    base = serve(config)
    page = fetch(base + "/")
    assert page.status == 200
    assert "byom-monitor schedule create" in page.body
    assert fetch(base + "/alerts").status == 200
    assert fetch(base + "/scenarios").status == 404  # served only with the example's page
    assert fetch(base + "/endpoints/credit-model").status == 404
    assert fetch(base + "/schedules/dq").status == 404
    assert not (tmp_path / "absent.sqlite").exists()  # read-only: nothing created


# -- page 2 ---------------------------------------------------------------------------------------
def test_data_quality_schedule_charts_each_feature_drift_with_the_threshold(dashboard, generated):
    page = fetch(dashboard + "/schedules/data-quality-hourly")
    assert page.status == 200
    threshold = baseline(generated, "data-quality-constraints")["monitoring_config"][
        "distribution_constraints"]["comparison_threshold"]
    for feature in ("duration", "amount", "age", "purpose", "foreign_worker"):
        assert f"<title>{feature} drift distance</title>" in page.body
    assert page.body.count(f"<title>threshold {threshold:.3g}</title>") == 5
    # duration drifts in the last three hours: its chart comes first, with red points
    first_chart = page.body[page.body.index("<svg"):page.body.index("</svg>")]
    assert "duration drift distance" in first_chart and "<circle" in first_chart
    assert "<title>violations</title>" in page.body


def test_executions_are_paged_newest_first(dashboard):
    first = fetch(dashboard + "/schedules/data-quality-hourly").body
    times = re.findall(r"executions/([^']+)'>([^<]+)</a>", first)
    assert len(times) == 50
    assert times[0][1] == LAST
    shown = [t for _, t in times]
    assert shown == sorted(shown, reverse=True)
    older = re.search(r"href='(/schedules/data-quality-hourly\?before=[^']+)'>older", first)
    second = fetch(dashboard + older.group(1).replace("&amp;", "&")).body
    rest = [t for _, t in re.findall(r"executions/([^']+)'>([^<]+)</a>", second)]
    assert len(rest) == 72 - 50 and max(rest) < min(shown)
    assert "older</a>" not in second and "newest</a>" in second


def test_model_quality_schedule_draws_each_metric_threshold(dashboard, generated):
    page = fetch(dashboard + "/schedules/model-quality-hourly?range=7d").body
    rules = baseline(generated, "model-quality-constraints")["binary_classification_constraints"]
    for metric, rule in rules.items():
        assert f"<title>{metric}</title>" in page
        assert f"<title>threshold {rule['threshold']:.3g}</title>" in page


def test_a_long_range_shows_one_point_per_day(dashboard):
    page = fetch(dashboard + "/schedules/data-quality-hourly?range=365d").body
    assert "One point per day" in page
    chart = page[page.index("<svg"):page.index("</svg>")]
    points = re.search(r"<polyline[^>]* points='([^']+)'", chart).group(1).split()
    assert len(points) == 4  # three days and the first hour of a fourth


def test_clarify_schedules_chart_bias_metrics_and_ndcg(dashboard):
    bias = fetch(dashboard + "/schedules/model-bias-hourly").body
    assert "DPL (foreign_worker = 1)" in bias
    assert "read from their analysis.json" in bias
    explainability = fetch(dashboard + "/schedules/model-explainability-hourly").body
    assert "<title>nDCG label0</title>" in explainability
    assert "<title>threshold 0.9</title>" in explainability


def test_unknown_schedule_is_404(dashboard):
    page = fetch(dashboard + "/schedules/no-such-schedule")
    assert page.status == 404 and "Nothing at" in page.body


# -- page 3 ---------------------------------------------------------------------------------------
def test_data_quality_execution_shows_violations_and_distributions(dashboard, generated):
    page = fetch(execution_url(dashboard, "data-quality-hourly"))
    assert page.status == 200
    assert "Feature duration: its distribution moved away from the baseline" in page.body
    assert "<title>duration: share of rows (KLL buckets)</title>" in page.body
    outputs = latest_outputs(generated, "data-quality-hourly")
    for name in outputs:
        assert f"/files/{name}'" in page.body
    raw = fetch(execution_url(dashboard, "data-quality-hourly") + "/files/statistics.json")
    assert raw.status == 200 and raw.headers["Content-Type"].startswith("application/json")
    assert raw.body == Path(outputs["statistics.json"]).read_text()


def test_model_quality_execution_shows_confusion_matrix_and_metrics(dashboard, generated):
    page = fetch(execution_url(dashboard, "model-quality-hourly")).body
    statistics = json.loads(Path(latest_outputs(generated, "model-quality-hourly")[
        "statistics.json"]).read_text())["binary_classification_metrics"]
    assert "Confusion matrix (rows: actual, columns: predicted)" in page
    true_negatives = statistics["confusion_matrix"]["0"]["0"]
    assert f"<td class='n'>{true_negatives:.6g}</td>" in page
    assert "Metric recall fell below its baseline threshold." in page
    recall_row = re.search(r"<tr><td>recall</td>(.*?)</tr>", page).group(1)
    assert f"{statistics['recall']['value']:.4g}" in recall_row and "violated" in recall_row


def test_bias_execution_compares_each_metric_with_the_baseline(dashboard):
    page = fetch(execution_url(dashboard, "model-bias-hourly")).body
    assert "Bias metric DPL for foreign_worker = 1 is farther from no bias" in page
    assert "<title>bias metrics: current and baseline</title>" in page
    row = re.search(r"<td>DPL</td>(.*?)</tr>", page).group(1)
    assert "violated" in row


def test_explainability_execution_shows_attributions_and_ndcg(dashboard):
    page = fetch(execution_url(dashboard, "model-explainability-hourly")).body
    assert re.search(r"nDCG 0\.\d{4} \(below the threshold 0\.9\)", page)
    assert "global SHAP values (baseline order)" in page
    assert "the features&#x27; order of importance changed" in page


def test_missing_and_corrupt_result_files_are_messages_on_the_item(own_store, serve, tmp_path):
    corrupt = tmp_path / "statistics.json"
    corrupt.write_text('{"features": [')
    outputs = dict(latest_outputs(own_store, "data-quality-hourly"))
    store = ScheduleStore(own_store.database)
    store.save(ExecutionRecord("data-quality-hourly", "2025-01-01T01:00:00+00:00",
                               "CompletedWithViolations", "", None,
                               {**outputs, "statistics.json": str(corrupt)}, {"violations": 1.0}))
    store.save(ExecutionRecord("data-quality-hourly", "2025-01-01T02:00:00+00:00",
                               "CompletedWithViolations", "", None,
                               {**outputs, "constraint_violations.json": str(tmp_path / "gone")},
                               {"violations": 1.0}))
    base = serve(own_store)
    page = fetch(execution_url(base, "data-quality-hourly", "2025-01-01T01:00:00+00:00"))
    assert page.status == 200
    assert "statistics.json is not valid JSON" in page.body and str(corrupt) in page.body
    assert "Feature duration: its distribution moved away" in page.body  # the rest still shows
    page = fetch(execution_url(base, "data-quality-hourly", "2025-01-01T02:00:00+00:00"))
    assert page.status == 200
    assert f"constraint_violations.json is missing: {tmp_path / 'gone'}" in page.body
    raw = fetch(execution_url(base, "data-quality-hourly", "2025-01-01T02:00:00+00:00")
                + "/files/constraint_violations.json")
    assert raw.status == 404 and "no such file" in raw.body


def test_only_listed_result_files_are_served(dashboard):
    base = execution_url(dashboard, "data-quality-hourly")
    assert fetch(base + "/files/config.ini").status == 404
    assert fetch(base + "/files/..%2F..%2Fconfig.ini").status == 404
    assert fetch(execution_url(dashboard, "data-quality-hourly", "1999-01-01T00:00:00")).status \
        == 404


# -- page 4 ---------------------------------------------------------------------------------------
def test_alerts_page_lists_rules_and_deliveries(dashboard, generated):
    page = fetch(dashboard + "/alerts").body
    assert "feature_baseline_drift_duration GreaterThanThreshold 0.1" in page
    assert "any violation or failure (only check model-quality)" in page
    with closing(sqlite3.connect(generated.database)) as db:
        total, delivered = db.execute("SELECT COUNT(*), SUM(ok) FROM alert_deliveries").fetchone()
    assert f"Deliveries ({total} attempts)" in page
    assert page.count(">delivered</span>") == min(delivered, 50)
    assert "Connection refused" in page


def test_alerts_waiting_in_the_outbox_are_listed(own_store, serve):
    with closing(sqlite3.connect(own_store.database)) as db, db:
        db.execute("CREATE TABLE IF NOT EXISTS alert_outbox (id INTEGER PRIMARY KEY, rule TEXT NOT NULL, "
                   "schedule TEXT NOT NULL, scheduled_time TEXT NOT NULL, queued_at TEXT NOT "
                   "NULL, state TEXT NOT NULL, document TEXT NOT NULL)")
        db.executemany("INSERT INTO alert_outbox (rule, schedule, scheduled_time, queued_at, "
                       "state, document) VALUES (?, 'data-quality-hourly', ?, ?, ?, '{}')",
                       [("duration-drift", LAST, "2025-01-01T00:02:00", "delivering"),
                        ("duration-drift", "2024-12-31T23:00:00+00:00", "x", "delivered")])
    page = fetch(serve(own_store) + "/alerts").body
    waiting = page[page.index("Waiting for delivery"):page.index("Deliveries (")]
    assert "delivering" in waiting and "2025-01-01T00:02:00" in waiting
    assert "delivered" not in waiting


def test_endpoint_page_charts_operational_metrics(dashboard, generated):
    page = fetch(dashboard + f"/endpoints/{ENDPOINT}?range=7d")
    assert page.status == 200
    for title in ("invocations per hour", "model latency, mean (ms)", "4xx errors per hour",
                  "5xx errors per hour"):
        assert f"<title>{title}</title>" in page.body
    with closing(sqlite3.connect(generated.database)) as db:
        calls = db.execute("SELECT SUM(invocations) FROM endpoint_metrics").fetchone()[0]
    assert f"<td class='n'>{calls}</td>" in page.body  # three days, all within the range
    assert fetch(dashboard + "/endpoints/other-model").status == 404


# -- behaviour ------------------------------------------------------------------------------------
def test_pages_never_write_to_the_store(own_store, serve):
    before = hashlib.sha256(Path(own_store.database).read_bytes()).hexdigest()
    base = serve(own_store)
    for path in ("/", "/alerts", f"/endpoints/{ENDPOINT}",
                 "/schedules/model-quality-hourly?range=365d"):
        assert fetch(base + path).status == 200
    assert hashlib.sha256(Path(own_store.database).read_bytes()).hexdigest() == before


def test_only_get_and_head(dashboard):
    assert fetch(dashboard + "/", method="POST").status == 405
    head = fetch(dashboard + "/", method="HEAD")
    assert head.status == 200 and head.body == ""


def test_favicon_is_no_content(dashboard):
    assert fetch(dashboard + "/favicon.ico").status == 204


def test_result_files_on_s3(own_store, serve, s3_bucket):
    outputs = {}
    for name, location in latest_outputs(own_store, "data-quality-hourly").items():
        outputs[name] = f"{s3_bucket}/monitoring/dq/{name}"
        storage.write_text(outputs[name], Path(location).read_text())
    when = "2025-01-01T01:00:00+00:00"
    ScheduleStore(own_store.database).save(ExecutionRecord(
        "data-quality-hourly", when, "CompletedWithViolations", "", None, outputs,
        {"violations": 1.0}))
    base = serve(own_store)
    page = fetch(execution_url(base, "data-quality-hourly", when)).body
    assert "Feature duration: its distribution moved away from the baseline" in page
    assert "<title>duration: share of rows (KLL buckets)</title>" in page
    assert f"{s3_bucket}/monitoring/dq/statistics.json" in page
    raw = fetch(execution_url(base, "data-quality-hourly", when) + "/files/statistics.json")
    assert raw.status == 200 and json.loads(raw.body)["features"]


def test_durations_show_when_the_store_records_them(own_store, serve):
    with closing(sqlite3.connect(own_store.database)) as db, db:
        db.execute("UPDATE executions SET seconds = 12.5 WHERE schedule = 'data-quality-hourly' "
                   "AND scheduled_time = ?", (LAST,))
    page = fetch(serve(own_store) + "/schedules/data-quality-hourly").body
    assert "<td class='n'>12.5 s</td>" in page
    assert "records no durations" not in page
    assert "records no durations" in fetch(serve(own_store) + "/schedules/model-bias-hourly").body
