return await AgentCloud.Cli.CliApp.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);
