using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol.Server;

namespace AgentCloud.SampleToolServer;

/// <summary>The server's tools; registered on the platform as server <c>tickets</c>, they appear as <c>tickets.create</c> and <c>tickets.list</c>.</summary>
[McpServerToolType]
public sealed class TicketTools(TicketBook book, IHttpContextAccessor http)
{
    [McpServerTool(Name = "create"), Description("Create a support ticket and return its id.")]
    public string Create([Description("A one-line summary of the problem.")] string title, [Description("More detail.")] string? body = null)
    {
        var ticket = book.Create(Account(), title, body);
        return JsonSerializer.Serialize(ticket, JsonSerializerOptions.Web);
    }

    [McpServerTool(Name = "list"), Description("List the tickets of the calling account.")]
    public string List() => JsonSerializer.Serialize(book.List(Account()), JsonSerializerOptions.Web);

    private string Account() => http.HttpContext?.Items[BearerTokenRequired.AccountItem] as string
        ?? throw new InvalidOperationException("The bearer-token middleware did not run.");
}
