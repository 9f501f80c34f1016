using System.Collections.Concurrent;

namespace AgentCloud.SampleToolServer;

public sealed record Ticket(string Id, string Account, string Title, string? Body, DateTimeOffset CreatedAt);

/// <summary>Tickets in memory, per account; an account sees only its own.</summary>
public sealed class TicketBook
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Ticket>> _byAccount = new();
    private int _next;

    public Ticket Create(string account, string title, string? body)
    {
        var ticket = new Ticket($"TCK-{Interlocked.Increment(ref _next)}", account, title, body, DateTimeOffset.UtcNow);
        _byAccount.GetOrAdd(account, _ => new()).Enqueue(ticket);
        return ticket;
    }

    public IReadOnlyList<Ticket> List(string account) => _byAccount.TryGetValue(account, out var q) ? [.. q] : [];
}
