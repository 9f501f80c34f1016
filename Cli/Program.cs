return await AgentCloud.Cli.CliApp.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected,
    stdin: Console.IsInputRedirected ? Console.In : null);
