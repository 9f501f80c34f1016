"""A small agent run inside an AgentCloud sandbox by `agentcloud demo`.

It uses only its environment, both injected by the broker: AGENTCLOUD_URL (the Gateway, reached through the
sandbox's egress proxy) and AGENTCLOUD_KEY (this run's own key, revoked when the sandbox ends). It chats, stores and
searches memory, writes and reads a file, runs a tool loop (model -> tool_calls -> /v1/mcp tools/call -> model), and
prints one JSON summary line. No tool credential is ever here: the platform injects it when it calls the tool.
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

# promptTokens/completionTokens and modelCalls cover every model call the agent made (plain chats and its tool loop).
stats = {"requests": 0, "rateLimited": 0, "errors": 0, "chats": 0, "modelCalls": 0, "promptTokens": 0, "completionTokens": 0,
         "latenciesMs": [], "memoryTopHit": None, "fileRoundTrip": False,
         "toolsListed": 0, "toolCalls": 0, "toolErrors": 0, "toolAnswer": None}
TOOL = sys.argv[3] if len(sys.argv) > 3 else ""


def send(method, path, data):
    request = urllib.request.Request(URL + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    stats["requests"] += 1
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode(), None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("Retry-After")


def call(method, path, body=None, attempts=3):
    """One API call. A 503 with Retry-After that is not the rate limiter's (a store or service briefly away) is waited
    out and asked again, as a well-behaved client does; a chat completion is never repeated (each one is billed)."""
    data = None if body is None else json.dumps(body).encode()
    started = time.monotonic()
    for attempt in range(attempts):
        status, text, retry_after = send(method, path, data)
        transient = status == 503 and retry_after is not None and "rate-limit" not in text
        if not transient or path == "/v1/chat/completions" or attempt == attempts - 1:
            break
        stats["retried"] = stats.get("retried", 0) + 1
        time.sleep(min(float(retry_after) if retry_after.isdigit() else 1.0, 5))
    elapsed = (time.monotonic() - started) * 1000
    if status == 429 or (status == 503 and "rate-limit" in text):
        # 503 from the limiter: it could not decide in time and this tier fails closed; refused all the same.
        stats["rateLimited"] += 1
    elif status >= 400:
        stats["errors"] += 1
        stats.setdefault("lastError", f"{method} {path}: {status} {text[:200]}")
    return status, (json.loads(text) if text.strip().startswith("{") else None), elapsed


def count_model_call(answer):
    stats["modelCalls"] += 1
    stats["promptTokens"] += answer["usage"]["prompt_tokens"]
    stats["completionTokens"] += answer["usage"]["completion_tokens"]


for i in range(CHATS):
    status, answer, ms = call("POST", "/v1/chat/completions", {
        "model": MODEL, "max_tokens": 32,
        "messages": [{"role": "user", "content": f"Step {i}: summarise what a tenant-isolated agent platform does."}]})
    if status == 200:
        stats["chats"] += 1
        stats["latenciesMs"].append(round(ms, 2))
        count_model_call(answer)

notes = [("n1", "the quarterly revenue report is due on friday"),
         ("n2", "the sandbox runs python code with no network"),
         ("n3", "remember to rotate the api keys every month")]
status, _, _ = call("PUT", "/v1/memory/notes/points", {"points": [{"id": i, "text": t, "payload": {"source": "demo"}} for i, t in notes]})
# A write the tenant's own rate limit refused (the free tier's noisy neighbour shares it) stored nothing to search.
if status == 200:
    status, found, _ = call("POST", "/v1/memory/notes/search", {"text": "when is the revenue report due", "limit": 3})
    if status == 200 and found["results"]:
        stats["memoryTopHit"] = found["results"][0]["id"]

next_id = [0]


def mcp(method, params, attempts=5):
    """One JSON-RPC request to the platform's MCP endpoint; the answer may come as JSON or as server-sent events.
    A rate-limited request waits as told (Retry-After) and tries again: the free tier shares its limit with its flood."""
    for attempt in range(attempts):
        next_id[0] += 1
        body = json.dumps({"jsonrpc": "2.0", "id": next_id[0], "method": method, "params": params}).encode()
        request = urllib.request.Request(URL + "/v1/mcp", data=body, method="POST", headers={
            "Authorization": "Bearer " + KEY, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        stats["requests"] += 1
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            if e.code == 429 or (e.code == 503 and "rate-limit" in text):
                # The tenant's limiter refused it, as for any other call: refused, not an error.
                stats["rateLimited"] += 1
                retry_after = e.headers.get("Retry-After") or "1"
                time.sleep(min(float(retry_after) if retry_after.isdigit() else 1.0, 10))
                continue
            stats["errors"] += 1
            stats.setdefault("lastError", f"MCP {method}: {e.code} {text[:200]}")
            return None
        for line in text.splitlines():
            if line.startswith("data:"):
                text = line[5:].strip()
        message = json.loads(text)
        return message.get("result")
    return None


def function_name(tool):
    # OpenAI function names allow no dots: tickets.create <-> tickets__create
    return tool.replace(".", "__")


if TOOL:
    listed = mcp("tools/list", {}) or {"tools": []}
    stats["toolsListed"] = len(listed["tools"])
    functions = [{"type": "function", "function": {"name": function_name(t["name"]), "description": t.get("description", ""),
                                                   "parameters": t.get("inputSchema", {"type": "object"})}} for t in listed["tools"]]
    messages = [{"role": "user", "content": f"Use {TOOL} to open a ticket: the build server is down since 9am."}]
    choice = {"type": "function", "function": {"name": function_name(TOOL)}}
    # Only a tool the run key listed can be asked for; a list still refused after its retries skips the loop.
    listed_names = [f["function"]["name"] for f in functions]
    for _ in range(3 if function_name(TOOL) in listed_names else 0):
        status, answer, _ = call("POST", "/v1/chat/completions", {
            "model": MODEL, "max_tokens": 64, "messages": messages, "tools": functions, "tool_choice": choice})
        if status != 200:
            break
        count_model_call(answer)
        message = answer["choices"][0]["message"]
        tool_calls = message.get("tool_calls") or []
        if not tool_calls:
            stats["toolAnswer"] = message.get("content")
            break
        messages.append(message)
        for tool_call in tool_calls:
            name = tool_call["function"]["name"].replace("__", ".")
            arguments = json.loads(tool_call["function"].get("arguments") or "{}")
            result = mcp("tools/call", {"name": name, "arguments": arguments})
            stats["toolCalls"] += 1
            if result is None or result.get("isError"):
                stats["toolErrors"] += 1
            content = "" if result is None else "\n".join(c.get("text", "") for c in result.get("content", []))
            messages.append({"role": "tool", "tool_call_id": tool_call["id"], "content": content})
        choice = "none"  # the tool has answered: now the model replies in words

with open("scratch.txt", "w") as f:
    f.write("written by the agent\n")
with open("scratch.txt") as f:
    stats["fileRoundTrip"] = f.read() == "written by the agent\n"

print(json.dumps(stats))
