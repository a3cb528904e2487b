import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, onSignedOut, signIn, signOut, type SessionInfo } from './api.js';
import { ErrorNote } from './components/bits.js';
import { startLive, stopLive, useLive } from './live.js';
import { Cache } from './pages/Cache.js';
import { JobDetail } from './pages/JobDetail.js';
import { Jobs, type JobFilter } from './pages/Jobs.js';
import { Overview } from './pages/Overview.js';
import { Queues } from './pages/Queues.js';
import { SignIn } from './pages/SignIn.js';
import { Tasks } from './pages/Tasks.js';
import { Workers } from './pages/Workers.js';
import './styles.css';

type Route =
  | { page: 'overview' | 'queues' | 'tasks' | 'workers' | 'cache' }
  | { page: 'jobs'; filter: JobFilter }
  | { page: 'job'; id: string };

const PAGES = [
  ['overview', 'Overview'],
  ['queues', 'Queues'],
  ['jobs', 'Jobs'],
  ['tasks', 'Tasks'],
  ['workers', 'Workers'],
  ['cache', 'Cache'],
] as const;

/** Hash routes (#/jobs?state=failed): the server serves one page, and links survive reloads. */
function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(search);
  const [first, second] = path.split('/');
  if (first === 'jobs' && second) return { page: 'job', id: decodeURIComponent(second) };
  if (first === 'jobs')
    return {
      page: 'jobs',
      filter: { queue: params.get('queue') ?? '', state: params.get('state') ?? '', name: params.get('name') ?? '' },
    };
  if (first === 'queues' || first === 'tasks' || first === 'workers' || first === 'cache') return { page: first };
  return { page: 'overview' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const listener = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', listener);
    return () => removeEventListener('hashchange', listener);
  }, []);
  return route;
}

function Shell({ session, onSignOut }: { session: SessionInfo; onSignOut: () => void }) {
  const route = useRoute();
  const { connected } = useLive();
  const current = route.page === 'job' ? 'jobs' : route.page;
  const title = PAGES.find(([page]) => page === current)?.[1] ?? 'Overview';
  useEffect(() => {
    document.title = `${route.page === 'job' ? `Job ${route.id}` : title} · backplane`;
  }, [route]);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">backplane</strong>
        <nav aria-label="Dashboard pages">
          <ul>
            {PAGES.map(([page, label]) => (
              <li key={page}>
                <a href={`#/${page}`} aria-current={current === page ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live ${connected ? 'on' : 'off'}`} role="status">
          {connected ? 'Live' : 'Reconnecting…'}
        </span>
        {session.readOnly ? <span class="badge state-readonly">read-only</span> : null}
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{route.page === 'job' ? 'Job detail' : title}</h1>
        {route.page === 'overview' ? <Overview /> : null}
        {route.page === 'queues' ? <Queues readOnly={session.readOnly} /> : null}
        {route.page === 'jobs' ? (
          <Jobs
            filter={route.filter}
            readOnly={session.readOnly}
            onFilter={(filter) => {
              const search = new URLSearchParams(Object.entries(filter).filter(([, value]) => value !== '')).toString();
              location.hash = `#/jobs${search ? `?${search}` : ''}`;
            }}
          />
        ) : null}
        {/* Keyed by id: another job's page is a fresh one, never the last job's state for a frame. */}
        {route.page === 'job' ? <JobDetail key={route.id} id={route.id} readOnly={session.readOnly} /> : null}
        {route.page === 'tasks' ? <Tasks readOnly={session.readOnly} /> : null}
        {route.page === 'workers' ? <Workers /> : null}
        {route.page === 'cache' ? <Cache readOnly={session.readOnly} /> : null}
      </main>
    </>
  );
}

/** Set in this tab's sessionStorage by Sign out: no automatic sign-in after it. */
const SIGNED_OUT = 'backplane.signedOut';

function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    loadSession()
      .then((loaded) => {
        // No admin token configured (loopback only, admin API open): the sign-in page would only ask for a
        // click, so go in at once — unless this tab just signed out, which must stay out.
        if (!loaded.signedIn && !loaded.tokenRequired && sessionStorage.getItem(SIGNED_OUT) === null) {
          return signIn('').catch(() => loaded);
        }
        return loaded;
      })
      .then(setSession, setError);
    return onSignedOut(() => {
      stopLive();
      setSession((current) => (current ? { ...current, signedIn: false, csrfToken: null } : current));
    });
  }, []);

  useEffect(() => {
    if (session?.signedIn) startLive();
  }, [session?.signedIn]);

  if (error) return <ErrorNote error={error} />;
  if (!session) return <p class="empty">Loading…</p>;
  if (!session.signedIn) {
    return (
      <SignIn
        tokenRequired={session.tokenRequired}
        onSignedIn={(signedIn) => {
          sessionStorage.removeItem(SIGNED_OUT);
          setSession(signedIn);
        }}
      />
    );
  }
  return (
    <Shell
      session={session}
      onSignOut={() => {
        sessionStorage.setItem(SIGNED_OUT, '1');
        stopLive();
        void signOut().finally(() => setSession({ ...session, signedIn: false, csrfToken: null, role: null }));
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
