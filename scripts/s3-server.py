#!/usr/bin/env python3
"""Starts a local S3 server for the test suite and prints its settings.

Runs the `moto` server (from the Python registry) on a free loopback port
with request signing enforced: the first three requests are let through
unsigned, and this script spends them on creating an IAM user, an access
key and a policy for it. Every request after that must be signed with that
key, so a test can check what a wrong key looks like. A bucket is made for
the tests.

Writes shell `export` lines to the file given as the first argument
(AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
LAKECAST_TEST_S3_BUCKET, LAKECAST_S3_SERVER_PID) and returns once the
server is ready; the server keeps running in the background until it is
killed by that PID.

Usage: python scripts/s3-server.py ENV_FILE   (needs moto[server] and boto3)
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

REGION = "us-east-1"
BUCKET = "lakecast-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the S3 server exited at start with code {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit(f"the S3 server did not listen on port {port} within {seconds} s")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = Path(sys.executable).with_name("moto_server")
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    server = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until_listening(port, server)

    unsigned = dict(endpoint_url=endpoint, region_name=REGION)
    iam = boto3.client(
        "iam", aws_access_key_id="setup", aws_secret_access_key="setup", **unsigned
    )
    iam.create_user(UserName="lakecast")
    key = iam.create_access_key(UserName="lakecast")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(
        UserName="lakecast", PolicyName="everything", PolicyDocument=json.dumps(policy)
    )
    s3 = boto3.client(
        "s3",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        **unsigned,
    )
    s3.create_bucket(Bucket=BUCKET)

    settings = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        "LAKECAST_TEST_S3_BUCKET": BUCKET,
        "LAKECAST_S3_SERVER_PID": str(server.pid),
    }
    lines = [f"export {name}='{value}'\n" for name, value in settings.items()]
    Path(sys.argv[1]).write_text("".join(lines))
    print(f"S3 server on {endpoint} (pid {server.pid}), bucket {BUCKET}")


if __name__ == "__main__":
    main()
