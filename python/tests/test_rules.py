"""Saved rules and actions: `lakecast rules` and `lakecast watch` over a
generated lake, delivering to a JSON-lines file and to a webhook on
loopback that fails its first attempts.

Uses the ``lakecast`` binary named in ``LAKECAST_BIN`` (set by the test
command).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import lakecast

RULES = ["slack_downgrade", "forecast_review", "customer_journey", "red_health_call",
         "rep_rebalance"]


def _bin() -> str:
    binary = os.environ.get("LAKECAST_BIN")
    if not binary:
        pytest.skip("no lakecast binary: run ./scripts/test-all.sh")
    return binary


def _cli(lake: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKECAST_LAKE": str(lake), "LAKECAST_ACTOR": "ops"}
    return subprocess.run([_bin(), *args], env=env, capture_output=True, text=True,
                          timeout=300)


class Receiver:
    """A webhook on loopback: fails the first `failures` attempts of every
    action with HTTP 500, then takes it; remembers what it took by
    Idempotency-Key, as a receiver that drops resends would."""

    def __init__(self, failures: int):
        self.failures = failures
        self.attempts: dict[str, int] = {}
        self.taken: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server interface
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers["Idempotency-Key"]
                with receiver.lock:
                    receiver.attempts[key] = receiver.attempts.get(key, 0) + 1
                    fail = receiver.attempts[key] <= receiver.failures
                    if not fail:
                        receiver.taken.setdefault(key, json.loads(body))
                self.send_response(500 if fail else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def ruled_lake(tmp_path: Path, repo: Path) -> Path:
    lake = tmp_path / "lake"
    lakecast.generate(lake, scale=0.01, seed=7)
    for rule in RULES:
        done = _cli(lake, "rules", "add", rule, "-f", str(repo / "sql-examples" / "rules" /
                                                         f"{rule}.sql"))
        assert done.returncode == 0, done.stderr
    return lake


def _actions(lake: Path) -> list[dict]:
    return lakecast.connect(lake).sql(
        "SELECT rule, key, kind, target, payload, delivery, attempts "
        "FROM lakecast.actions ORDER BY rule, key").to_arrow().to_pylist()


def test_starter_rules_fire_each_key_once(ruled_lake: Path, tmp_path: Path):
    out = tmp_path / "actions.jsonl"
    first = _cli(ruled_lake, "rules", "run", "--jsonl", str(out))
    assert first.returncode == 0, first.stderr
    actions = _actions(ruled_lake)
    kinds = {a["kind"] for a in actions}
    assert kinds == {"downgrade_and_dispatch", "forecast_review", "assign_success_manager",
                     "schedule_training", "community_invitation", "call_customer",
                     "rebalance_accounts"}
    assert all(a["delivery"] == "delivered" for a in actions)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["key"] for line in lines) == sorted(a["key"] for a in actions)
    # The forecast-review rule agrees with the SQL it is made of.
    expected = lakecast.connect(ruled_lake).sql(
        (Path(__file__).resolve().parents[2] / "sql-examples" / "rules" /
         "forecast_review.sql").read_text()).to_arrow().num_rows
    assert sum(a["kind"] == "forecast_review" for a in actions) == expected
    # The deviation in each payload is over the 15% threshold.
    reviews = [json.loads(a["payload"]) for a in actions if a["kind"] == "forecast_review"]
    assert all(r["deviation"] > 0.15 for r in reviews)

    second = _cli(ruled_lake, "rules", "run", "--jsonl", str(out))
    assert second.returncode == 0, second.stderr
    assert " 0 new actions" in second.stdout and "new actions" in second.stdout
    assert all(line.endswith(" 0 new actions") for line in second.stdout.splitlines()
               if "new actions" in line)
    assert len(out.read_text().splitlines()) == len(lines)
    assert _actions(ruled_lake) == actions


def test_a_failing_webhook_still_gets_every_action_once_in_effect(ruled_lake: Path):
    receiver = Receiver(failures=2)
    try:
        done = _cli(ruled_lake, "rules", "run", "forecast_review", "--webhook", receiver.url,
                    "--attempts", "4", "--backoff", "10ms")
        assert done.returncode == 0, done.stderr
        actions = _actions(ruled_lake)
        assert actions and all(a["delivery"] == "delivered" for a in actions)
        assert all(a["attempts"] == 3 for a in actions)
        assert set(receiver.taken) == {_id for _id in receiver.attempts}
        assert len(receiver.taken) == len(actions)
        assert {t["key"] for t in receiver.taken.values()} == {a["key"] for a in actions}
    finally:
        receiver.close()


def test_delivery_failures_are_visible_and_retried_on_the_next_run(ruled_lake: Path):
    receiver = Receiver(failures=1000)
    try:
        done = _cli(ruled_lake, "rules", "run", "rep_rebalance", "--webhook", receiver.url,
                    "--attempts", "2", "--backoff", "10ms")
        assert done.returncode == 1
        assert "not delivered" in done.stderr and "HTTP 500" in done.stderr
        failed = _actions(ruled_lake)
        assert failed and all("HTTP 500" in a["delivery"] for a in failed)
        receiver.failures = 0
        again = _cli(ruled_lake, "rules", "run", "rep_rebalance", "--webhook", receiver.url)
        assert again.returncode == 0, again.stderr
        assert "0 new actions" in again.stdout
        assert all(a["delivery"] == "delivered" for a in _actions(ruled_lake))
        assert len(receiver.taken) == len(failed)
    finally:
        receiver.close()


def test_a_broken_rule_is_named_and_the_others_still_run(ruled_lake: Path):
    # A rule that planned when it was added can break when the lake
    # changes; here its SQL is damaged in the rule book.
    book_file = ruled_lake / "_lakecast" / "rules.json"
    book = json.loads(book_file.read_text())
    for rule in book["rules"]:
        if rule["name"] == "red_health_call":
            rule["sql"] = "SELECT key, kind, target, payload FROM no_such_table"
    book_file.write_text(json.dumps(book))
    done = _cli(ruled_lake, "rules", "run")
    assert done.returncode == 1
    assert "rule `red_health_call` failed" in done.stderr and "no_such_table" in done.stderr
    ran = {line.split(":")[0] for line in done.stdout.splitlines() if "new actions" in line}
    assert ran == set(RULES) - {"red_health_call"}


def test_rule_changes_are_checked_and_audited(ruled_lake: Path, tmp_path: Path):
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT 1 AS key")
    done = _cli(ruled_lake, "rules", "add", "bad", "-f", str(bad))
    assert done.returncode == 1 and "missing: kind, target, payload" in done.stderr
    bad.write_text("SELECT key FROM nowhere")
    done = _cli(ruled_lake, "rules", "add", "bad", "-f", str(bad))
    assert done.returncode == 1 and "rule `bad`" in done.stderr and "nowhere" in done.stderr
    assert _cli(ruled_lake, "rules", "remove", "rep_rebalance").returncode == 0
    listed = _cli(ruled_lake, "rules", "list").stdout
    assert "rep_rebalance" not in listed and "slack_downgrade" in listed
    shown = _cli(ruled_lake, "rules", "show", "slack_downgrade").stdout
    assert "resource_slack_agg" in shown
    audit = lakecast.connect(ruled_lake).sql(
        "SELECT action, object FROM lakecast.audit_log WHERE actor = 'ops' "
        "AND action LIKE 'rules.%' ORDER BY time").to_arrow().to_pylist()
    assert [a["action"] for a in audit].count("rules.add") == len(RULES)
    assert {"action": "rules.remove", "object": "rep_rebalance"} in audit


def test_watch_delivers_to_a_webhook_until_sigterm(ruled_lake: Path):
    receiver = Receiver(failures=1)
    env = {**os.environ, "LAKECAST_LAKE": str(ruled_lake)}
    watch = subprocess.Popen([_bin(), "watch", "--every", "1s", "--webhook", receiver.url,
                              "--backoff", "10ms"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        # Wait for two full rounds (each rule's run is in the audit log);
        # the second must fire nothing new.
        runs = "SELECT count(*) AS n FROM lakecast.audit_log WHERE action = 'rules.run'"
        deadline = time.time() + 180
        while time.time() < deadline:
            done = lakecast.connect(ruled_lake).sql(runs).to_arrow()["n"][0].as_py()
            if done >= 2 * len(RULES):
                break
            time.sleep(0.5)
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=60)
        assert watch.returncode == 0, err
        actions = _actions(ruled_lake)
        assert len(receiver.taken) == len(actions) >= 10
        assert all(a["delivery"] == "delivered" for a in actions)
        assert out.count("slack_downgrade:") >= 2
    finally:
        if watch.poll() is None:
            watch.kill()
        receiver.close()
