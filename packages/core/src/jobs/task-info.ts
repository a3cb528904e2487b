// What a process's task registry says about each task, for listings (API, CLI, dashboard).
import { z } from 'zod';
import { toMilliseconds } from '../util/duration.js';
import { DEFAULT_QUEUE } from './options.js';
import type { TaskRegistry } from './tasks.js';

export interface TaskInfo {
  name: string;
  /** The queue its jobs go to unless `enqueue` names another. */
  queue: string;
  /** Defaults its jobs get unless `enqueue` sets them. */
  attempts: number;
  priority: number;
  timeoutMs?: number;
  backoff?: { type: 'fixed' | 'exponential'; delayMs: number; jitter?: number };
  /** True when enqueue checks the payload against a schema. */
  validatesPayload: boolean;
  /** The payload's JSON Schema, when the task's schema is a zod schema that has one. */
  payloadSchema?: Record<string, unknown>;
}

/** The JSON Schema of a zod schema; undefined for another kind of schema or one JSON Schema cannot say. */
function jsonSchemaOf(schema: unknown): Record<string, unknown> | undefined {
  if (!(schema instanceof z.ZodType)) return undefined;
  try {
    // 'input': what a caller may send (an object that strips unknown keys accepts them, so no additionalProperties: false).
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return undefined;
  }
}

/** Every task defined in this process, by name. */
export function describeTasks(tasks: TaskRegistry): TaskInfo[] {
  const infos: TaskInfo[] = [];
  for (const { name, defaults } of tasks.values()) {
    const info: TaskInfo = {
      name,
      queue: defaults.queue ?? DEFAULT_QUEUE,
      attempts: defaults.attempts ?? 1,
      priority: defaults.priority ?? 0,
      validatesPayload: defaults.schema !== undefined,
    };
    if (defaults.timeout !== undefined) info.timeoutMs = toMilliseconds(defaults.timeout, 'defaults.timeout');
    if (defaults.backoff) {
      const { type, delay, jitter } = defaults.backoff;
      info.backoff = {
        type,
        delayMs: toMilliseconds(delay, 'defaults.backoff.delay'),
        ...(jitter === undefined ? {} : { jitter }),
      };
    }
    const payloadSchema = jsonSchemaOf(defaults.schema);
    if (payloadSchema) info.payloadSchema = payloadSchema;
    infos.push(info);
  }
  return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
