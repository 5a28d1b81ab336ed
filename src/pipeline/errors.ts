// The one domain error of the engine: a code, the place it concerns, and a one-line message.
// The CLI maps codes to exit codes; the server maps them to tRPC errors.

export type PipelineErrorCode =
  | "CONFIG_INVALID" // the config document or one of its expressions is wrong
  | "USAGE" // bad command-line or API arguments
  | "SOURCE" // a missing source table/column, an unreadable file
  | "ENGINE" // the engine failed (disk full, IO); usually retryable
  | "LOCKED" // another run holds the engine database
  | "RUN_STATE" // resuming a run that cannot be resumed, unknown run id, ...
  | "INVARIANT" // the tables violate the summary invariant
  | "CANCELLED"
  | "NOT_AVAILABLE"; // a feature that does not exist yet

export interface ErrorIssue {
  /** Field path such as `rolling_columns[2].mapper_expr`. */
  path: string;
  message: string;
}

export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  readonly where?: string;
  readonly issues: ErrorIssue[];
  /** Whether retrying the same work may succeed (IO, transient engine errors). */
  readonly retryable: boolean;

  constructor(
    code: PipelineErrorCode,
    message: string,
    options: { where?: string; issues?: ErrorIssue[]; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "PipelineError";
    this.code = code;
    this.where = options.where;
    this.issues = options.issues ?? [];
    this.retryable = options.retryable ?? false;
  }
}

export function isPipelineError(err: unknown): err is PipelineError {
  return err instanceof PipelineError;
}

/** A one-line description of any error, for logs, the CLI and the audit trail. */
export function describeError(err: unknown): string {
  if (err instanceof PipelineError) {
    // an issue the message already states (a single one often is the message) is not said twice
    const listed = err.issues.map((i) => `${i.path}: ${i.message}`).filter((t) => !err.message.includes(t));
    const issues = listed.length ? `: ${listed.join("; ")}` : "";
    return `${err.message}${issues}`.replace(/\s+/g, " ").trim();
  }
  if (err instanceof Error) {
    const lines = err.message.split("\n");
    // Prisma's messages start with a blank line and "Invalid `…` invocation", a code frame, and
    // end with what went wrong: the first line then says nothing, the last one does
    const first = lines[0]?.trim();
    if (first) return first;
    return lines.map((l) => l.trim()).filter(Boolean).at(-1) ?? err.name;
  }
  return String(err);
}
