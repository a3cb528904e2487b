import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseStream {
  /** Sends one event; `id` lets a reconnecting client resume with Last-Event-ID. */
  send(event: { id?: string; event?: string; data: unknown }): void;
  /** Ends the response. Idempotent. */
  close(): void;
  /** Aborts when the client goes away or `close()` runs. */
  signal: AbortSignal;
  /** The id the client last saw, from the Last-Event-ID header (or `?lastEventId=`). */
  lastEventId: string | undefined;
}

/** The id a reconnecting client last saw: the Last-Event-ID header, or `?lastEventId=`. */
export function lastEventIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.lastEventId;
  return (typeof header === 'string' && header) || (typeof query === 'string' && query) || undefined;
}

/**
 * Takes over a reply as a Server-Sent Events stream. A comment line every `heartbeatMs` keeps proxies
 * from closing an idle stream and lets the server notice a client that left.
 */
export function openSse(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { heartbeatMs?: number } = {},
): SseStream {
  const controller = new AbortController();
  const lastEventId = lastEventIdOf(request);

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': stream open\n\n');
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  const close = (): void => {
    if (controller.signal.aborted) return;
    clearInterval(heartbeat);
    controller.abort();
    if (!raw.writableEnded) raw.end();
  };
  request.raw.on('close', close);
  raw.on('error', close);

  return {
    signal: controller.signal,
    lastEventId,
    close,
    send(event) {
      if (controller.signal.aborted) return;
      let frame = '';
      if (event.id !== undefined) frame += `id: ${event.id}\n`;
      if (event.event !== undefined) frame += `event: ${event.event}\n`;
      const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
      for (const line of data.split('\n')) frame += `data: ${line}\n`;
      raw.write(`${frame}\n`);
    },
  };
}
