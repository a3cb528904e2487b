/** Words people type for a command that has another name here. */
const SYNONYMS: Readonly<Record<string, string>> = {
  list: 'ls',
  show: 'get',
  info: 'get',
  log: 'logs',
  events: 'history',
  rm: 'cancel',
  delete: 'cancel',
  enqueue: 'add',
  run: 'add',
  start: 'server',
  serve: 'server',
};

/** Edits (insert, delete, replace) that turn `a` into `b`. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(replace, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The command among `names` that `typed` most likely meant, if any is close enough to say so. */
export function suggestCommand(typed: string, names: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const synonym = SYNONYMS[lower];
  if (synonym !== undefined && names.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(lower.length / 2));
  for (const name of names) {
    const d = distance(lower, name);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}
