import { useState } from 'preact/hooks';
import { signIn, type SessionInfo } from '../api.js';
import { ErrorNote } from '../components/bits.js';

export function SignIn({
  tokenRequired,
  onSignedIn,
}: {
  tokenRequired: boolean;
  onSignedIn: (session: SessionInfo) => void;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>backplane</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          signIn(token)
            .then(onSignedIn)
            .catch((caught: unknown) => setError(caught))
            .finally(() => setBusy(false));
        }}
      >
        <h2>Sign in to the dashboard</h2>
        {tokenRequired ? (
          <>
            <label for="token">Admin token</label>
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              value={token}
              onInput={(event) => setToken(event.currentTarget.value)}
            />
            <p class="hint">
              The value of BACKPLANE_ADMIN_TOKEN. It stays on the server: the browser keeps only a session cookie.
            </p>
          </>
        ) : (
          <p class="hint">
            No admin token is configured, so this service only listens on loopback and its admin API is open.
          </p>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
