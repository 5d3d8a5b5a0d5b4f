/**
 * The command line was wrong (an unknown option, a missing credential, a column that is not in the
 * file): the CLI prints the message with a pointer to `--help` and exits with status 2.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * The import could not go on (the gateway refused a batch, the file is not valid CSV): the CLI
 * prints the message and exits with status 1. Rows sent before it stay stored.
 */
export class ImportError extends Error {
  override readonly name = "ImportError";
}
