// What the CLI writes to and reads from: the process by default, a fake in unit tests.
export interface CliIo {
  /** Writes to stdout (text includes its newlines). */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** The stream a progress bar may draw on, when stdout is a terminal. */
  tty: NodeJS.WriteStream | null;
  env: Record<string, string | undefined>;
}

export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    tty: process.stdout.isTTY ? process.stdout : null,
    env: process.env,
  };
}
