import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DashboardRole = 'admin' | 'viewer';

/** What the signed session cookie carries. No secret lives in it: the signature makes it trustworthy. */
export interface DashboardSession {
  /** Random per sign-in: the CSRF token is derived from it. */
  sid: string;
  role: DashboardRole;
  /** Expiry, in ms since the epoch. */
  exp: number;
}

export const SESSION_COOKIE = 'bp_dashboard';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Sessions without server-side state: the cookie is signed (HMAC-SHA256) with a secret derived
 * from the admin token, so rotating the token signs everybody out, and replicas agree on sessions.
 */
export class SessionCodec {
  readonly secret: string;

  constructor(secret: string | undefined, adminToken: string | undefined) {
    this.secret =
      secret ??
      (adminToken === undefined
        ? randomBytes(32).toString('base64url')
        : createHmac('sha256', adminToken).update('backplane-dashboard-session-v1').digest('base64url'));
  }

  create(role: DashboardRole, ttlMs: number, now = Date.now()): DashboardSession {
    return { sid: randomBytes(18).toString('base64url'), role, exp: now + ttlMs };
  }

  /** The cookie value: the session and its HMAC. */
  encode(session: DashboardSession): string {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The session in a cookie value, or null if it is forged, malformed or expired. */
  decode(value: string | undefined, now = Date.now()): DashboardSession | null {
    if (!value) return null;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const payload = value.slice(0, dot);
    if (!safeEqual(value.slice(dot + 1), this.mac(payload))) return null;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<DashboardSession>;
      if (typeof parsed.sid !== 'string' || typeof parsed.exp !== 'number') return null;
      if (parsed.role !== 'admin' && parsed.role !== 'viewer') return null;
      if (parsed.exp <= now) return null;
      return { sid: parsed.sid, role: parsed.role, exp: parsed.exp };
    } catch {
      return null;
    }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`session:${payload}`).digest('base64url');
  }

  /** Double-submit token: tied to the session, so a token from another session is worthless. */
  csrfToken(session: DashboardSession): string {
    return createHmac('sha256', this.secret).update(`csrf:${session.sid}`).digest('base64url');
  }

  csrfMatches(session: DashboardSession, candidate: string | undefined): boolean {
    if (!candidate) return false;
    return safeEqual(candidate, this.csrfToken(session));
  }
}

/** Compares digests, so neither the length nor a prefix of the secret leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}
