using AgentCloud.Platform.Contracts;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// Turns chat-completions stream chunks into the Responses API's event sequence: <c>response.created</c>,
/// <c>response.in_progress</c>; per text answer <c>output_item.added</c>, <c>content_part.added</c>,
/// <c>output_text.delta</c>..., <c>output_text.done</c>, <c>content_part.done</c>, <c>output_item.done</c>; per tool call
/// <c>output_item.added</c>, <c>function_call_arguments.delta</c>..., <c>function_call_arguments.done</c>,
/// <c>output_item.done</c>; last <c>response.completed</c> (or <c>response.incomplete</c>) with usage, or
/// <c>response.failed</c> when the upstream's stream ended without a finish.
/// </summary>
public sealed class ResponseEventStream(string id, long createdAt, string model, JsonObject echo)
{
    private readonly List<JsonObject> _events = [];
    private readonly JsonArray _output = [];
    private readonly Dictionary<int, ToolItem> _tools = [];
    private int _sequence;
    private TextItem? _text;
    private ToolItem? _tool;
    private string? _finishReason;
    private JsonObject? _usage;

    public bool Started { get; private set; }
    public bool Finished { get; private set; }

    private sealed class TextItem(string id, int outputIndex)
    {
        public string Id { get; } = id;
        public int OutputIndex { get; } = outputIndex;
        public StringBuilder Text { get; } = new();
    }

    private sealed class ToolItem(string id, int outputIndex, string callId, string name)
    {
        public string Id { get; } = id;
        public int OutputIndex { get; } = outputIndex;
        public string CallId { get; } = callId;
        public string Name { get; set; } = name;
        public StringBuilder Arguments { get; } = new();
        public bool Done { get; set; }
    }

    /// <summary>The opening events; the caller sends them at once, so a client sees the response begin.</summary>
    public IReadOnlyList<JsonObject> Start()
    {
        Started = true;
        Emit("response.created", new JsonObject { ["response"] = Snapshot("in_progress") });
        Emit("response.in_progress", new JsonObject { ["response"] = Snapshot("in_progress") });
        return Drain();
    }

    /// <summary>The events one chat chunk makes.</summary>
    public IReadOnlyList<JsonObject> Add(JsonNode chunk)
    {
        if (chunk["usage"] is JsonObject usage)
        {
            _usage = ResponseObject.Usage(usage);
        }
        if (chunk["choices"] is not JsonArray { Count: > 0 } choices || choices[0] is not JsonObject choice)
        {
            return Drain();
        }
        var delta = choice["delta"];
        if (OpenAiJson.TryString(delta?["content"], out var content) && content.Length > 0)
        {
            AddText(content);
        }
        foreach (var call in delta?["tool_calls"] as JsonArray ?? [])
        {
            AddToolDelta(call);
        }
        if (OpenAiJson.TryString(choice["finish_reason"], out var finish))
        {
            _finishReason = finish;
        }
        return Drain();
    }

    /// <summary>The closing events: every open item done, then the terminal event with the whole response.</summary>
    public IReadOnlyList<JsonObject> Finish()
    {
        if (Finished)
        {
            return [];
        }
        Finished = true;
        if (_finishReason is null)
        {
            var error = new JsonObject { ["code"] = "server_error", ["message"] = "The model endpoint's stream ended before the answer was finished." };
            Emit("response.failed", new JsonObject { ["response"] = Snapshot("failed", error: error) });
            return Drain();
        }
        if (_text is null && _tools.Count == 0)
        {
            OpenText(); // an empty answer is still one (empty) message, as in a whole response
        }
        CloseText();
        CloseTool();
        var (status, reason) = ResponseObject.Outcome(_finishReason);
        Emit(status == "completed" ? "response.completed" : "response.incomplete",
            new JsonObject { ["response"] = Snapshot(status, reason) });
        return Drain();
    }

    private void AddText(string piece)
    {
        CloseTool();
        if (_text is null)
        {
            OpenText();
        }
        _text!.Text.Append(piece);
        Emit("response.output_text.delta", new JsonObject
        {
            ["item_id"] = _text.Id, ["output_index"] = _text.OutputIndex, ["content_index"] = 0, ["delta"] = piece, ["logprobs"] = new JsonArray(),
        });
    }

    private void OpenText()
    {
        _text = new TextItem(ResponseObject.NewId("msg"), _output.Count);
        _output.Add(null); // its place in the output; filled when it is done
        Emit("response.output_item.added", new JsonObject
        {
            ["output_index"] = _text.OutputIndex, ["item"] = ResponseObject.Message(_text.Id, "in_progress", null),
        });
        Emit("response.content_part.added", new JsonObject
        {
            ["item_id"] = _text.Id, ["output_index"] = _text.OutputIndex, ["content_index"] = 0, ["part"] = ResponseObject.OutputText(""),
        });
    }

    private void CloseText()
    {
        if (_text is null || _output[_text.OutputIndex] is not null)
        {
            return;
        }
        var text = _text.Text.ToString();
        var status = ResponseObject.Outcome(_finishReason).Status == "completed" || _finishReason is null ? "completed" : "incomplete";
        Emit("response.output_text.done", new JsonObject
        {
            ["item_id"] = _text.Id, ["output_index"] = _text.OutputIndex, ["content_index"] = 0, ["text"] = text, ["logprobs"] = new JsonArray(),
        });
        Emit("response.content_part.done", new JsonObject
        {
            ["item_id"] = _text.Id, ["output_index"] = _text.OutputIndex, ["content_index"] = 0, ["part"] = ResponseObject.OutputText(text),
        });
        var item = ResponseObject.Message(_text.Id, status, text);
        _output[_text.OutputIndex] = item;
        Emit("response.output_item.done", new JsonObject { ["output_index"] = _text.OutputIndex, ["item"] = item.DeepClone() });
    }

    /// <summary>A tool-call delta: the first for an index opens its item (id and name), later ones carry argument text.</summary>
    private void AddToolDelta(JsonNode? call)
    {
        var index = call?["index"] is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0;
        var name = OpenAiJson.TryString(call?["function"]?["name"], out var n) ? n : "";
        if (!_tools.TryGetValue(index, out var tool))
        {
            CloseText();
            CloseTool();
            var callId = OpenAiJson.TryString(call?["id"], out var c) && c.Length > 0 ? c : ResponseObject.NewId("call");
            tool = _tools[index] = _tool = new ToolItem(ResponseObject.NewId("fc"), _output.Count, callId, name);
            _output.Add(null);
            Emit("response.output_item.added", new JsonObject
            {
                ["output_index"] = tool.OutputIndex, ["item"] = ResponseObject.FunctionCall(tool.Id, "in_progress", tool.CallId, tool.Name, ""),
            });
        }
        else if (tool.Name.Length == 0 && name.Length > 0)
        {
            tool.Name = name;
        }
        if (OpenAiJson.TryString(call?["function"]?["arguments"], out var arguments) && arguments.Length > 0)
        {
            tool.Arguments.Append(arguments);
            Emit("response.function_call_arguments.delta", new JsonObject
            {
                ["item_id"] = tool.Id, ["output_index"] = tool.OutputIndex, ["delta"] = arguments,
            });
        }
    }

    private void CloseTool()
    {
        if (_tool is not { Done: false } tool)
        {
            return;
        }
        tool.Done = true;
        var arguments = tool.Arguments.ToString();
        Emit("response.function_call_arguments.done", new JsonObject
        {
            ["item_id"] = tool.Id, ["output_index"] = tool.OutputIndex, ["name"] = tool.Name, ["arguments"] = arguments,
        });
        var item = ResponseObject.FunctionCall(tool.Id, "completed", tool.CallId, tool.Name, arguments);
        _output[tool.OutputIndex] = item;
        Emit("response.output_item.done", new JsonObject { ["output_index"] = tool.OutputIndex, ["item"] = item.DeepClone() });
    }

    private JsonObject Snapshot(string status, string? incompleteReason = null, JsonObject? error = null)
    {
        var output = new JsonArray(_output.Where(item => item is not null).Select(item => item!.DeepClone()).ToArray());
        return ResponseObject.Create(id, createdAt, model, echo, status, output, status == "in_progress" ? null : _usage, incompleteReason, error);
    }

    private void Emit(string type, JsonObject payload)
    {
        var e = new JsonObject { ["type"] = type, ["sequence_number"] = _sequence++ };
        foreach (var (field, value) in payload.ToList())
        {
            payload.Remove(field);
            e[field] = value;
        }
        _events.Add(e);
    }

    private List<JsonObject> Drain()
    {
        var drained = _events.ToList();
        _events.Clear();
        return drained;
    }
}
