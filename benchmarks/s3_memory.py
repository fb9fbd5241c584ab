"""Peak memory of downloading a large S3 object with S3File, against a moto server.

Run: `python -m benchmarks.s3_memory [--size-mb 256]`. A moto server runs in a
process of its own; each download is measured in a fresh process, as the growth
of its resident set size: the peak during the download (VmHWM, reset just
before; `ru_maxrss` where /proc is missing) minus the size just before it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
BUCKET = "benchmark-bucket"
KEY = "models/large.bin"
GOAL_MIB = 32
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
MODES = {
    "s3file": "`S3File(...)()` (streamed, 1 MiB chunks)",
    "read": '`get_object()["Body"].read()` (for contrast)',
}


def _proc_status(field: str) -> int | None:
    """A `kB` field of /proc/self/status in bytes, or None off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Restart the kernel's peak-RSS mark (Linux 4.0+) so that earlier spikes hide nothing."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def current_rss_bytes() -> int:
    return _proc_status("VmRSS") or peak_rss_bytes()


def peak_rss_bytes() -> int:
    peak = _proc_status("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss if sys.platform == "darwin" else maxrss * 1024)


def s3_client(endpoint: str) -> Any:
    import boto3

    from lambda_cache_di.fetchers.clients import lambda_config

    # A generous read timeout: the emulator may pause while it assembles the body.
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", config=lambda_config(read_timeout=60)
    )


def measure(endpoint: str, mode: str, folder: Path) -> dict[str, float]:
    """Download the large object once in this process and report the peak RSS growth."""
    from lambda_cache_di import S3File

    client = s3_client(endpoint)
    # Warm up on a tiny object so that imports, models and the connection are not counted.
    S3File(f"s3://{BUCKET}/warm-up", client=client, directory=folder)()
    client.get_object(Bucket=BUCKET, Key="warm-up")["Body"].read()
    reset_peak()
    before = current_rss_bytes()
    started = time.perf_counter()
    if mode == "s3file":
        size = S3File(f"s3://{BUCKET}/{KEY}", client=client, directory=folder)().stat().st_size
    else:
        data = client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
        (folder / "read.bin").write_bytes(data)
        size = len(data)
        del data
    seconds = time.perf_counter() - started
    return {"before": before, "after": peak_rss_bytes(), "seconds": seconds, "size": size}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=1):
                return server, endpoint
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the moto server did not start within 30 s")


def upload(endpoint: str, size_mb: int, folder: Path) -> None:
    """Write the object to a file in 1 MiB blocks and upload it in parts from there."""
    from boto3.s3.transfer import TransferConfig

    client = s3_client(endpoint)
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="warm-up", Body=b"w")
    source = folder / "source.bin"
    block = os.urandom(MIB)
    with source.open("wb") as out:
        for _ in range(size_mb):
            out.write(block)
    client.upload_file(
        str(source), BUCKET, KEY, Config=TransferConfig(multipart_chunksize=16 * MIB)
    )
    source.unlink()


def run_child(endpoint: str, mode: str, folder: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.s3_memory", "--measure", mode]
    command += ["--endpoint", endpoint, "--folder", str(folder)]
    output = subprocess.run(
        command, check=True, capture_output=True, env={**os.environ, **FAKE_ENVIRONMENT}
    )
    result: dict[str, float] = json.loads(output.stdout)
    return result


def table(size_mb: int, results: dict[str, dict[str, float]]) -> str:
    lines = [
        f"S3 download of a {size_mb} MiB object from a moto server on 127.0.0.1 "
        "(fresh process per row; growth = peak RSS during the download minus RSS before it)",
        "",
        "| download | RSS before | peak RSS after | growth | time |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, result in results.items():
        growth = (result["after"] - result["before"]) / MIB
        lines.append(
            f"| {MODES[mode]} | {result['before'] / MIB:.1f} MiB | {result['after'] / MIB:.1f} MiB "
            f"| **{growth:.1f} MiB** | {result['seconds']:.1f} s |"
        )
    growth = (results["s3file"]["after"] - results["s3file"]["before"]) / MIB
    verdict = "met" if growth < GOAL_MIB else "NOT met"
    lines += ["", f"Goal for S3File: growth under {GOAL_MIB} MiB: {verdict}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256, help="object size in MiB")
    parser.add_argument("--skip-read", action="store_true", help="measure S3File only")
    parser.add_argument("--measure", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.endpoint, args.measure, Path(args.folder))))
        return 0
    os.environ.update(FAKE_ENVIRONMENT)
    server, endpoint = start_moto()
    try:
        with tempfile.TemporaryDirectory(prefix="s3-memory-") as folder:
            upload(endpoint, args.size_mb, Path(folder))
            modes = ["s3file"] if args.skip_read else ["s3file", "read"]
            results = {mode: run_child(endpoint, mode, Path(folder)) for mode in modes}
    finally:
        server.terminate()
        server.wait(timeout=10)
    for result in results.values():
        if result["size"] != args.size_mb * MIB:
            raise SystemExit(f"downloaded {result['size']} bytes, expected {args.size_mb * MIB}")
    print(table(args.size_mb, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
