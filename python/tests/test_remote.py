"""Lakes in S3 and queries on a Ballista cluster, from Python.

The test command starts a local S3 server (setting the AWS variables and
``LAKECAST_TEST_S3_BUCKET``) and names the ``lakecast`` binary in
``LAKECAST_BIN``, which these tests use to start a cluster.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid

import pytest

import lakecast

HEATMAP = "05_forecast_heatmap.sql"


def _rows(result: lakecast.Result) -> list[tuple]:
    rows = [tuple(round(v, 9) if isinstance(v, float) else v for v in row.values())
            for row in result.to_arrow().to_pylist()]
    return sorted(rows)


@pytest.fixture(scope="module")
def s3_lake() -> str:
    bucket = os.environ.get("LAKECAST_TEST_S3_BUCKET")
    if not bucket:
        pytest.skip("no S3 server: run ./scripts/test-all.sh")
    location = f"s3://{bucket}/py-{uuid.uuid4().hex}"
    lakecast.generate(location, scale=0.01, seed=7)
    return location


def test_an_s3_lake_gives_the_same_results_as_a_folder(s3_lake, session):
    remote = lakecast.connect(s3_lake)
    sql = lakecast.examples()[HEATMAP]
    assert remote.lake == s3_lake
    assert _rows(remote.sql(sql)) == _rows(session.sql(sql))


def test_a_missing_bucket_is_named():
    with pytest.raises(lakecast.LakecastError, match="no-such-bucket-for-lakecast"):
        lakecast.connect("s3://no-such-bucket-for-lakecast/lake")


def _free_port_pair() -> int:
    while True:
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    binary = os.environ.get("LAKECAST_BIN")
    if not binary:
        pytest.skip("LAKECAST_BIN is not set: run ./scripts/test-all.sh")
    logs = tmp_path_factory.mktemp("cluster")
    scheduler_port, executor_port = _free_port_pair(), _free_port_pair()
    bind = f"127.0.0.1:{scheduler_port}"
    processes = [
        subprocess.Popen([binary, "cluster", "scheduler", "--bind", bind],
                         stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)
    ]
    _wait_for(scheduler_port)
    processes.append(
        subprocess.Popen([binary, "cluster", "executor", "--scheduler", bind,
                          "--bind", f"127.0.0.1:{executor_port}", "--slots", "2"],
                         stdout=open(logs / "executor.log", "w"), stderr=subprocess.STDOUT)
    )
    _wait_for(executor_port)
    yield f"df://{bind}"
    for process in processes:
        process.kill()
        process.wait()


def test_queries_run_on_a_cluster_with_every_function(cluster, lake, session):
    remote = lakecast.connect(lake, cluster=cluster)
    sql = lakecast.examples()[HEATMAP]
    deadline = time.monotonic() + 60
    while True:  # the executor registers shortly after it listens
        try:
            remote.sql("SELECT 1")
            break
        except lakecast.LakecastError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert _rows(remote.sql(sql)) == _rows(session.sql(sql))
    # A fit's state crosses the executor's shuffle and comes back the same.
    fit = ("SELECT bgnbd_fit(f, r, t)['r'] AS r, bgnbd_fit(f, r, t)['converged'] AS ok "
           "FROM (VALUES (2.0, 30.4, 38.9), (1.0, 1.7, 38.9), (0.0, 0.0, 38.9), "
           "(0.0, 0.0, 38.9), (3.0, 35.0, 38.9), (5.0, 37.0, 38.9)) AS s(f, r, t)")
    here = session.sql(fit).to_arrow().to_pylist()
    assert len(here) == 1 and here[0]["r"] > 0
    assert _rows(remote.sql(fit)) == _rows(session.sql(fit))
