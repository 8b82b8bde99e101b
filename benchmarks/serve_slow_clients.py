"""Memory of `sitegen serve` while clients that never read hold a big file open.

    python benchmarks/serve_slow_clients.py [--clients 16] [--megabytes 50] [--work /tmp/sitegen-slow]

Builds the sample site with one big static file, starts `sitegen serve` as a separate process,
opens the clients (each sends a GET for the file and reads nothing), and samples the server's
resident memory from /proc every 20 ms for a few seconds. Before answers were streamed, 16
clients of a 50 MB file held 760 MB; the target is the file's size in all, whatever the count.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitegen-slow-clients"))
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    site = args.work / "site"
    shutil.rmtree(args.work, ignore_errors=True)
    site.mkdir(parents=True)
    for part in ("content", "layouts", "static"):
        shutil.copytree(REPO / part, site / part)
    shutil.copy(REPO / "site.toml", site / "site.toml")
    (site / "static" / "big.bin").write_bytes(b"\0" * (args.megabytes << 20))

    server = subprocess.Popen(
        [sys.executable, "-m", "sitegen.cli", "serve", "--port", "0"], cwd=site, stdout=subprocess.PIPE, text=True
    )
    try:
        while "预览地址" not in (line := server.stdout.readline()):
            if not line:
                sys.exit("serve ended before it was ready")
        port = int(re.search(r":(\d+)/", line).group(1))
        idle = rss_mb(server.pid)
        clients = []
        for _ in range(args.clients):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /big.bin HTTP/1.0\r\nHost: localhost\r\n\r\n")
            clients.append(sock)
        peak, deadline = idle, time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(server.pid))
            time.sleep(0.02)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as other:
            other.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            answered = other.recv(64).startswith(b"HTTP/1.0 200")
        for sock in clients:
            sock.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    grown = peak - idle
    print(f"{args.clients} clients that never read a {args.megabytes} MB file")
    print(f"  server RSS idle {idle:.0f} MB, peak {peak:.0f} MB, grown {grown:.0f} MB (target < {args.megabytes} MB)")
    print(f"  another request answered meanwhile: {'yes' if answered else 'NO'}")
    sys.exit(0 if grown < args.megabytes and answered else 1)


if __name__ == "__main__":
    main()
