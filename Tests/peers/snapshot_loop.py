"""Clients that loop on one picture URL as fast as they are answered, each on one kept-alive
connection, for a number of seconds; prints how many answers of each status they got, as JSON.

usage: snapshot_loop.py URL SECONDS CLIENTS
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url, seconds, clients = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
parts = urllib.parse.urlsplit(url)
assert parts.hostname == "127.0.0.1", "loopback only"
deadline = time.monotonic() + seconds
counts = {}
lock = threading.Lock()


def loop():
    connection = None
    while time.monotonic() < deadline:
        try:
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            connection.request("GET", parts.path)
            reply = connection.getresponse()
            reply.read()
            status = str(reply.status)
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
            connection = None
            time.sleep(0.05)
        with lock:
            counts[status] = counts.get(status, 0) + 1


threads = [threading.Thread(target=loop) for _ in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(counts))
