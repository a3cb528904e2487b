import { CliError } from '../cli-error.js';
import type { ParsedArgs } from '../command.js';

/** Exit codes of `jobs add --wait`, `jobs wait` and `jobs logs --follow`: the job's outcome, for scripts. */
export const OUTCOME_EXIT = { completed: 0, failed: 1, cancelled: 3, timeout: 4 } as const;

/** The job id a `jobs` command names, URL-encoded for the path; exit 2 with an example when it is missing. */
export function requireId(args: ParsedArgs, command: string): string {
  const id = args.positionals[0];
  if (!id) throw new CliError(`missing job id, as in "backplane jobs ${command} default:abc123"`, 2);
  return encodeURIComponent(id);
}
