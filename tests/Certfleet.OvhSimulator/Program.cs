using Certfleet.OvhSimulator;

return await SimulatorProgram.RunAsync(args).ConfigureAwait(false);
