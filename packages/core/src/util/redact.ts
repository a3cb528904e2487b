/**
 * Replaces every known secret (and its URL-encoded form) in a string with `***`. Redis client errors
 * and URLs pass through one of these before they reach a log line, an error message or a status page.
 */
export type Redactor = (text: string) => string;

export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    // Very short secrets would turn ordinary words into asterisks; they are rejected by config anyway.
    if (!secret || secret.length < 3) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of ordered) out = out.split(form).join('***');
    return out;
  };
}

/** Redacts an error's message into a plain string. */
export function redactError(error: unknown, redact: Redactor): string {
  if (error instanceof Error) return redact(`${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`);
  return redact(String(error));
}
