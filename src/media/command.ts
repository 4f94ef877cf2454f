/**
 * An ffmpeg invocation as data: what the pure builders return and the runner executes. The shape follows
 * fluent-ffmpeg's model (options before each `-i`, options before the output) so the runner can hand it over
 * unchanged, and `commandArgs` is exactly the argument list fluent-ffmpeg passes to ffmpeg.
 */
export interface FfmpegCommand {
  inputs: { source: string; options: string[] }[];
  output: string;
  outputOptions: string[];
}

// Global options ride in front of the first input: ffmpeg accepts them anywhere before the output.
const GLOBAL = ['-hide_banner', '-nostdin'];

export function command(inputs: { source: string; options?: string[] }[], outputOptions: string[], output: string): FfmpegCommand {
  return {
    inputs: inputs.map((i, n) => ({ source: i.source, options: [...(n === 0 ? GLOBAL : []), ...(i.options ?? [])] })),
    output,
    outputOptions,
  };
}

/** The argument list, as fluent-ffmpeg builds it: each input's options and `-i`, then `-y`, then the output's. */
export function commandArgs(c: FfmpegCommand): string[] {
  return [...c.inputs.flatMap((i) => [...i.options, '-i', i.source]), '-y', ...c.outputOptions, c.output];
}

/** A shell-quoted command line, for logs and for running the same command by hand. */
export function commandLine(c: FfmpegCommand): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['ffmpeg', ...commandArgs(c)].map(quote).join(' ');
}
