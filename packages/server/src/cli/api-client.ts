import { CliError } from './cli-error.js';

export interface ApiClientOptions {
  /** Base URL of a running service. */
  url: string;
  token?: string | undefined;
  /** Per-request budget. @default 10_000 */
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** A thin JSON client for the service's HTTP API; every failure becomes one readable line. */
export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Any status is returned; only a transport failure throws. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: this.headers(body === undefined ? headers : { 'content-type': 'application/json', ...headers }),
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : 'connection failed';
      throw new CliError(
        `cannot reach backplane at ${this.url} (${reason}); is "backplane server" running? (--url to point elsewhere)`,
      );
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Non-JSON bodies (metrics text) are returned as they are.
    }
    return { status: response.status, body: parsed as T };
  }

  /** Like `request`, but a non-2xx answer throws the service's `{ error: { code, message } }` as a CliError. */
  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.request<T>(method, path, body, headers);
    if (response.status >= 200 && response.status < 300) return response.body;
    throw CliError.fromResponse(response.status, response.body);
  }

  /** Opens a Server-Sent Events stream and yields its events until it ends or `signal` aborts. */
  async *events(path: string, signal?: AbortSignal, lastEventId?: string): AsyncGenerator<ServerSentEvent> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        headers: this.headers({
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        }),
        signal: signal ?? null,
      });
    } catch {
      throw new CliError(`cannot reach backplane at ${this.url}; is "backplane server" running?`);
    }
    if (!response.ok || !response.body) {
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      throw CliError.fromResponse(response.status, body);
    }
    yield* parseEventStream(response.body);
  }
}

export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** The text/event-stream wire format: fields per line, events separated by a blank line. */
export async function* parseEventStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let current: { id: string | undefined; event: string; data: string[] } = {
    id: undefined,
    event: 'message',
    data: [],
  };
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (current.data.length > 0) yield { id: current.id, event: current.event, data: current.data.join('\n') };
        current = { id: undefined, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') current.data.push(value);
      else if (field === 'event') current.event = value;
      else if (field === 'id') current.id = value;
    }
  }
}
