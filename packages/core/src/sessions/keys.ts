import { ID_TAG_LENGTH } from './codec.js';

/**
 * Every Redis key of the sessions component is built here.
 * - a session: a hash at `<prefix>:sess:s:{<first 6 id chars>}<rest of id>`; the braces are its Cluster
 *   hash tag, which `regenerate` keeps so the old and new key share a slot;
 * - a user's index: a sorted set at `<prefix>:sess:u:{<userId>}` of session ids scored by an upper bound
 *   of their absolute expiry, in the user's own slot.
 */
export interface SessionKeys {
  session(id: string): string;
  userIndex(userId: string): string;
  /** The id back from a session key found by SCAN. */
  idOf(sessionKey: string): string;
  /** SCAN patterns for every session key, and every index key, of this prefix. */
  readonly sessionPattern: string;
  readonly indexPattern: string;
}

export function sessionKeys(keyPrefix: string): SessionKeys {
  const sessionBase = `${keyPrefix}:sess:s:`;
  const indexBase = `${keyPrefix}:sess:u:`;
  return {
    session: (id) => `${sessionBase}{${id.slice(0, ID_TAG_LENGTH)}}${id.slice(ID_TAG_LENGTH)}`,
    userIndex: (userId) => `${indexBase}{${userId}}`,
    idOf: (key) => key.slice(sessionBase.length).replace(/^\{([^}]*)\}/, '$1'),
    sessionPattern: `${escapeGlob(sessionBase)}*`,
    indexPattern: `${escapeGlob(indexBase)}*`,
  };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
