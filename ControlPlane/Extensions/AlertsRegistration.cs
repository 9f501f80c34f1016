using AgentCloud.ControlPlane.Alerts;

namespace AgentCloud.ControlPlane.Extensions;

internal static class AlertsRegistration
{
    /// <summary>Budget alerts: tenants' webhooks, the consumer of the router's crossings, and the delivery worker.</summary>
    public static void AddBudgetAlerts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertOptions>()
            .BindConfiguration(AlertOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.InitialBackoff <= o.MaxBackoff, "ControlPlane:Alerts:InitialBackoff may not exceed MaxBackoff.")
            .ValidateOnStart();
        // Loopback receivers (tests, the local demo) only where asked for, or in Development.
        var development = builder.Environment.IsDevelopment();
        builder.Services.PostConfigure<AlertOptions>(o => o.AllowLoopbackReceivers ??= development);

        builder.Services.AddScoped<AlertWebhookService>();
        builder.Services.AddScoped<AlertDeliveryLog>();
        builder.Services.AddScoped<BudgetAlertRecorder>();
        builder.Services.AddSingleton<AlertDeliverySignal>();
        builder.Services.AddSingleton<WebhookConnector>();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddHostedService<BudgetAlertConsumer>();
        builder.Services.AddHostedService<AlertDeliveryWorker>();
    }
}
