import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseWriter {
  send(event: string, data: unknown, id?: string): void;
  /** Writes bytes as they came from another event stream (per-job events are relayed untouched). */
  raw(chunk: Uint8Array): void;
  close(): void;
  readonly signal: AbortSignal;
}

/** Turns a reply into an event stream; a comment every 15 s keeps proxies from closing it. */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): SseWriter {
  const controller = new AbortController();
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  out.write(': open\n\n');
  const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  const close = (): void => {
    if (controller.signal.aborted) return;
    clearInterval(heartbeat);
    controller.abort();
    if (!out.writableEnded) out.end();
  };
  request.raw.on('close', close);
  out.on('error', close);
  return {
    signal: controller.signal,
    close,
    send(event, data, id) {
      if (controller.signal.aborted) return;
      const lines = JSON.stringify(data)
        .split('\n')
        .map((line) => `data: ${line}\n`);
      out.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\n${lines.join('')}\n`);
    },
    raw(chunk) {
      if (!controller.signal.aborted) out.write(chunk);
    },
  };
}
