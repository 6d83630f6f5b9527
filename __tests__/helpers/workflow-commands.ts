/**
 * Workflow commands as the Actions runner reads them from a step's output (actions/runner
 * ActionCommand.TryParseV2): a line (split at LF, CR or CRLF) is a command when, trimmed at the
 * start, it begins with `::`; the command runs to the next `::`, its properties are `k=v` pairs split
 * at `,`, and the property values and the message are unescaped. Lines with the legacy `##[` are
 * returned too, as commands named `##[`, so a test sees any line the runner would act on.
 */
export interface RunnerCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export function runnerCommands(output: string): RunnerCommand[] {
  const unescape = (value: string, property: boolean) =>
    (property ? value.replace(/%3A/g, ":").replace(/%2C/g, ",") : value).replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
  const commands: RunnerCommand[] = [];
  for (const line of output.split(/\r\n|\r|\n/)) {
    const text = line.trimStart();
    if (!text.startsWith("::")) {
      if (line.includes("##[")) commands.push({ command: "##[", properties: {}, message: line });
      continue;
    }
    const end = text.indexOf("::", 2);
    if (end < 0) continue;
    const [command = "", ...rest] = text.slice(2, end).split(" ");
    const properties = Object.fromEntries(
      rest
        .join(" ")
        .split(",")
        .filter(Boolean)
        .map((pair) => [pair.slice(0, pair.indexOf("=")), unescape(pair.slice(pair.indexOf("=") + 1), true)]),
    );
    commands.push({ command, properties, message: unescape(text.slice(end + 2), false) });
  }
  return commands;
}
