"""Latency and throughput of a small query on both `lakecast serve` endpoints.

Usage: python benches/serve/latency.py --bin target/release/lakecast
       [--clients 1,8,64] [--queries 200]

Generates a small lake, adds a user, starts the server on loopback, and for
each client count runs that many threads, each with its own connection,
sending the same small query (`SELECT count(*) FROM opportunities WHERE
stage = 'won'`) a number of times. Prints p50 / p99 latency and queries per
second for the PostgreSQL endpoint (psycopg 3) and Flight SQL (ADBC).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import adbc_driver_flightsql.dbapi as flightsql
import psycopg

QUERY = "SELECT count(*) FROM opportunities WHERE stage = 'won'"
PASSWORD = "bench-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(clients: int, queries: int, connect, execute) -> tuple[float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        conn = connect()
        mine = []
        for _ in range(queries):
            started = time.perf_counter()
            execute(conn)
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return p50 * 1000, p99 * 1000, len(latencies) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scale", default="0.1")
    args = parser.parse_args()
    lake = tempfile.mkdtemp(prefix="lakecast-serve-bench-")
    env = {**os.environ, "LAKECAST_LAKE": lake, "LAKECAST_PASSWORD": PASSWORD}
    subprocess.run([args.bin, "gen", "--out", lake, "--scale", args.scale, "--replace"],
                   check=True, capture_output=True, env=env)
    subprocess.run([args.bin, "user", "add", "bench", "--role", "admin"],
                   check=True, capture_output=True, env=env)
    pg, fl = free_port(), free_port()
    server = subprocess.Popen(
        [args.bin, "serve", "--pg", f"127.0.0.1:{pg}", "--flight", f"127.0.0.1:{fl}"],
        env={**env, "RUST_LOG": "warn"}, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)

        def pg_connect():
            return psycopg.connect(f"host=127.0.0.1 port={pg} dbname=lake user=bench "
                                   f"password={PASSWORD}", autocommit=True)

        def pg_execute(conn):
            conn.execute(QUERY).fetchall()

        def flight_connect():
            return flightsql.connect(f"grpc://127.0.0.1:{fl}", autocommit=True,
                                     db_kwargs={"username": "bench", "password": PASSWORD})

        def flight_execute(conn):
            with conn.cursor() as cur:
                cur.execute(QUERY)
                cur.fetch_arrow_table()

        print(f"lake scale {args.scale}, {args.queries} queries per client: {QUERY}")
        print("| endpoint | clients | p50 ms | p99 ms | queries/s |")
        print("|---|---|---|---|---|")
        for clients in [int(c) for c in args.clients.split(",")]:
            for name, connect, execute in [("pg", pg_connect, pg_execute),
                                           ("flight", flight_connect, flight_execute)]:
                p50, p99, qps = run(clients, args.queries, connect, execute)
                print(f"| {name} | {clients} | {p50:.2f} | {p99:.2f} | {qps:.0f} |")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
