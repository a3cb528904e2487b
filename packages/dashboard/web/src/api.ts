/** What the server says about the browser's sign-in. */
export interface SessionInfo {
  signedIn: boolean;
  role: 'admin' | 'viewer' | null;
  readOnly: boolean;
  csrfToken: string | null;
  expiresAt: number | null;
  tokenRequired: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The service does not have this route (yet): pages show an empty state instead of an error. */
  get missing(): boolean {
    return this.status === 404 && this.code === 'E_NOT_FOUND' && this.message.startsWith('no route');
  }
}

let csrfToken: string | null = null;
const signedOutListeners = new Set<() => void>();

export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function errorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `request failed with status ${status}`;
  return new ApiError(status, code, message);
}

/** Calls the dashboard API (relative URL, so any mount prefix works); mutations carry the CSRF token. */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const error = errorOf(response.status, parsed);
    // A 401 from the dashboard itself means the session is gone; the service's own 401s come back as 401 too.
    if (response.status === 401 && path !== '/session') for (const listener of signedOutListeners) listener();
    throw error;
  }
  return parsed as T;
}

export async function loadSession(): Promise<SessionInfo> {
  const session = await api<SessionInfo>('GET', '/session');
  csrfToken = session.csrfToken;
  return session;
}

export async function signIn(token: string): Promise<SessionInfo> {
  const session = await api<SessionInfo>('POST', '/session', token === '' ? {} : { token });
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut(): Promise<void> {
  await api('DELETE', '/session');
  csrfToken = null;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
