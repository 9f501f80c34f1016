"""A small agent run inside an AgentCloud sandbox by `agentcloud demo`.

It uses only its environment, both injected by the broker: AGENTCLOUD_URL (the Gateway, reached through the
sandbox's egress proxy) and AGENTCLOUD_KEY (this run's own key, revoked when the sandbox ends). It chats, stores and
searches memory, writes and reads a file, and prints one JSON summary line.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ["AGENTCLOUD_URL"].rstrip("/")
KEY = os.environ["AGENTCLOUD_KEY"]
CHATS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
MODEL = sys.argv[2] if len(sys.argv) > 2 else "sim-small"

stats = {"requests": 0, "rateLimited": 0, "errors": 0, "chats": 0, "promptTokens": 0, "completionTokens": 0,
         "latenciesMs": [], "memoryTopHit": None, "fileRoundTrip": False}


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(URL + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    started = time.monotonic()
    stats["requests"] += 1
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as e:
        text, status = e.read().decode(), e.code
    elapsed = (time.monotonic() - started) * 1000
    if status == 429 or (status == 503 and "rate-limit" in text):
        # 503 from the limiter: it could not decide in time and this tier fails closed; refused all the same.
        stats["rateLimited"] += 1
    elif status >= 400:
        stats["errors"] += 1
        stats.setdefault("lastError", f"{method} {path}: {status} {text[:200]}")
    return status, (json.loads(text) if text.strip().startswith("{") else None), elapsed


for i in range(CHATS):
    status, answer, ms = call("POST", "/v1/chat/completions", {
        "model": MODEL, "max_tokens": 32,
        "messages": [{"role": "user", "content": f"Step {i}: summarise what a tenant-isolated agent platform does."}]})
    if status == 200:
        stats["chats"] += 1
        stats["latenciesMs"].append(round(ms, 2))
        stats["promptTokens"] += answer["usage"]["prompt_tokens"]
        stats["completionTokens"] += answer["usage"]["completion_tokens"]

notes = [("n1", "the quarterly revenue report is due on friday"),
         ("n2", "the sandbox runs python code with no network"),
         ("n3", "remember to rotate the api keys every month")]
call("PUT", "/v1/memory/notes/points", {"points": [{"id": i, "text": t, "payload": {"source": "demo"}} for i, t in notes]})
status, found, _ = call("POST", "/v1/memory/notes/search", {"text": "when is the revenue report due", "limit": 3})
if status == 200 and found["results"]:
    stats["memoryTopHit"] = found["results"][0]["id"]

with open("scratch.txt", "w") as f:
    f.write("written by the agent\n")
with open("scratch.txt") as f:
    stats["fileRoundTrip"] = f.read() == "written by the agent\n"

print(json.dumps(stats))
