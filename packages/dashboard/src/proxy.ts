/** A route of the service the browser may reach through `/dashboard/api/...`. */
interface ProxyRule {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
}

const SEGMENT = "[A-Za-z0-9._~%:@!$&'()*+,;=-]+";

/**
 * Only these are forwarded, so a session cookie cannot reach anything else the service serves.
 * GETs need a session; the others are mutations (admin, CSRF-checked, refused when read-only).
 */
const RULES: ProxyRule[] = [
  { method: 'GET', pattern: /^\/health$/ },
  { method: 'GET', pattern: /^\/redis\/status$/ },
  { method: 'GET', pattern: /^\/cache\/stats$/ },
  { method: 'GET', pattern: /^\/queues$/ },
  { method: 'GET', pattern: /^\/workers$/ },
  { method: 'GET', pattern: /^\/tasks$/ },
  { method: 'GET', pattern: /^\/task-definitions$/ },
  { method: 'GET', pattern: new RegExp(`^/tasks/${SEGMENT}$`) },
  { method: 'GET', pattern: new RegExp(`^/tasks/${SEGMENT}/(logs|history)$`) },
  { method: 'POST', pattern: /^\/cache\/clear$/ },
  // Enqueue a job of a task (the Tasks page, a job's "Run again").
  { method: 'POST', pattern: new RegExp(`^/tasks/${SEGMENT}$`) },
  { method: 'POST', pattern: new RegExp(`^/tasks/${SEGMENT}/(retry|promote)$`) },
  { method: 'POST', pattern: new RegExp(`^/queues/${SEGMENT}/(pause|resume|retry)$`) },
  { method: 'DELETE', pattern: new RegExp(`^/tasks/${SEGMENT}$`) },
  { method: 'DELETE', pattern: new RegExp(`^/queues/${SEGMENT}/jobs$`) },
];

/** True when the browser may call `method path` through the dashboard. Dot segments never pass. */
export function isForwardable(method: string, path: string): boolean {
  if (path.split('/').some((segment) => segment === '.' || segment === '..' || /%2e%2e|%2f|%5c/i.test(segment))) {
    return false;
  }
  return RULES.some((rule) => rule.method === method && rule.pattern.test(path));
}
