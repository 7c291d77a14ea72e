"""A bounded load loop, run inside a container while a deploy goes on.

Threads GET a URL over and over, at a steady rate if one is given, until a
stop file appears, a time limit or a request limit is reached, then print one
JSON line: requests sent, failed (any status other than 200, or a connection
error), and which release answered.
Standard library only: the images have python3 and nothing more.
"""

import argparse
import http.client
import json
import os
import ssl
import threading
import time
import urllib.parse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--host-header", default="")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--max-requests", type=int, default=200000)
    parser.add_argument("--rate", type=float, default=0,
                        help="requests per second, all threads together; 0: as fast as the threads can")
    parser.add_argument("--cafile", default="", help="https: the CA the server's chain must verify against")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    lock = threading.Lock()
    stats = {"sent": 0, "failed": 0, "errors": [], "releases": {}, "last_release": None}
    started = time.monotonic()
    deadline = started + args.max_seconds
    slots = {"issued": 0}
    context = ssl.create_default_context(cafile=args.cafile or None) if url.scheme == "https" else None

    def connect():
        if context:
            return http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=10, context=context)
        return http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)

    def record(ok, detail, release=None):
        with lock:
            stats["sent"] += 1
            if not ok:
                stats["failed"] += 1
                if len(stats["errors"]) < 10:
                    stats["errors"].append(detail)
            if release:
                stats["releases"][release] = stats["releases"].get(release, 0) + 1
                stats["last_release"] = release

    def wait_for_slot():
        """Sleeps until this request's turn at the given rate (none when behind)."""
        with lock:
            slot = started + slots["issued"] / args.rate
            slots["issued"] += 1
        time.sleep(max(0.0, slot - time.monotonic()))

    def worker():
        while time.monotonic() < deadline and not os.path.exists(args.stop_file):
            with lock:
                if stats["sent"] >= args.max_requests:
                    return
            if args.rate:
                wait_for_slot()
            conn = connect()
            try:
                headers = {"Host": args.host_header} if args.host_header else {}
                conn.request("GET", url.path or "/", headers=headers)
                response = conn.getresponse()
                body = response.read()
                if response.status == 200:
                    record(True, None, json.loads(body).get("release"))
                else:
                    record(False, "HTTP %d" % response.status)
            except (OSError, http.client.HTTPException, ValueError) as error:
                record(False, "%s: %s" % (type(error).__name__, error))
            finally:
                conn.close()

    threads = [threading.Thread(target=worker) for _index in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
