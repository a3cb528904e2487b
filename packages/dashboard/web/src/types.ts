/** Shapes of the service's answers, as far as the dashboard relies on them. Everything is optional-tolerant. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'cancelled' | 'spooled';
export const JOB_STATES: JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled', 'spooled'];
export const FINAL_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
export const QUEUE_COUNT_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const;

export interface JobProgress {
  percent?: number;
  message?: string;
  data?: unknown;
}

export interface Job {
  id: string;
  name: string;
  queue?: string;
  /** One of JobState; typed as string so a state added by the service still renders. */
  state: string;
  data?: unknown;
  result?: unknown;
  error?: { message: string; stack?: string } | null;
  attempts?: number;
  maxAttempts?: number;
  progress?: JobProgress | null;
  createdAt?: number | string | null;
  startedAt?: number | string | null;
  finishedAt?: number | string | null;
  workerId?: string | null;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

export interface QueueInfo {
  name: string;
  counts?: Partial<Record<string, number>>;
  throughputPerMinute?: number;
  paused?: boolean;
}

export interface WorkerInfo {
  id: string;
  host?: string;
  pid?: number;
  concurrency?: number;
  running?: number | unknown[];
  queues?: string[];
  lastHeartbeat?: number | string;
  startedAt?: number | string;
}

export interface SnapshotPart {
  status: number;
  body: unknown;
}

export interface Snapshot {
  at: number;
  health: SnapshotPart;
  redis: SnapshotPart;
  queues: SnapshotPart;
  workers: SnapshotPart;
  cache: SnapshotPart;
}

export interface HistoryPoint {
  t: number;
  hitRate: number | null;
  l1: number | null;
  l2: number | null;
  reads: number;
  throughput: number | null;
}

export function queuesIn(snapshot: Snapshot | null): QueueInfo[] | null {
  if (!snapshot || snapshot.queues.status !== 200) return null;
  const queues = (snapshot.queues.body as { queues?: unknown }).queues;
  return Array.isArray(queues) ? (queues as QueueInfo[]) : [];
}

export function workersIn(snapshot: Snapshot | null): WorkerInfo[] | null {
  if (!snapshot || snapshot.workers.status !== 200) return null;
  const workers = (snapshot.workers.body as { workers?: unknown }).workers;
  return Array.isArray(workers) ? (workers as WorkerInfo[]) : [];
}

/**
 * Why a snapshot part has no data, in words: the service lacks the route (an older or trimmed
 * service), or the route failed just now (Redis down, for instance). Null when the part is fine.
 */
export function partProblem(part: SnapshotPart | undefined, route: string): string | null {
  if (!part) return 'Waiting for the first snapshot…';
  if (part.status === 200) return null;
  const message = (part.body as { error?: { message?: unknown } } | null)?.error?.message;
  if (part.status === 404) return `This service does not offer ${route}.`;
  return `${route} is unavailable right now (${part.status}${typeof message === 'string' ? `: ${message}` : ''}).`;
}
