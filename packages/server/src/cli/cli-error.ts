/** An error the CLI prints as one line (`backplane: <message>`) before exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }

  static fromResponse(status: number, body: unknown): CliError {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    if (error?.code) return new CliError(`${error.code}: ${error.message ?? `HTTP ${status}`}`);
    return new CliError(`the service answered HTTP ${status}`);
  }
}
