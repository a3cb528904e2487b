import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { createJobs } from './jobs.js';

describe('listTasks', () => {
  it('lists the tasks defined in this process by name, with their defaults and payload schema', async () => {
    const jobs = createJobs();
    try {
      assert.deepEqual(jobs.listTasks(), []);
      jobs.defineTask('mail.send', async () => undefined, {
        queue: 'mail',
        attempts: 5,
        priority: 3,
        timeout: '30s',
        backoff: { type: 'exponential', delay: '2s', jitter: 0.2 },
        schema: z.object({ to: z.string().email(), subject: z.string().max(200) }),
      });
      jobs.defineTask('a.plain', async () => undefined);
      // A schema that is not zod's: validated, but with no JSON Schema to show.
      jobs.defineTask('b.custom', async () => undefined, { schema: { parse: (input: unknown) => input } });

      const [plain, custom, mail] = jobs.listTasks();
      assert.deepEqual(plain, { name: 'a.plain', queue: 'default', attempts: 1, priority: 0, validatesPayload: false });
      assert.deepEqual(custom, {
        name: 'b.custom',
        queue: 'default',
        attempts: 1,
        priority: 0,
        validatesPayload: true,
      });
      assert.ok(mail);
      assert.equal(mail.name, 'mail.send');
      assert.equal(mail.queue, 'mail');
      assert.equal(mail.attempts, 5);
      assert.equal(mail.priority, 3);
      assert.equal(mail.timeoutMs, 30_000);
      assert.deepEqual(mail.backoff, { type: 'exponential', delayMs: 2000, jitter: 0.2 });
      assert.equal(mail.validatesPayload, true);
      const schema = mail.payloadSchema as { type: string; required: string[]; properties: Record<string, unknown> };
      assert.equal(schema.type, 'object');
      assert.deepEqual(schema.required.sort(), ['subject', 'to']);
      assert.deepEqual(Object.keys(schema.properties).sort(), ['subject', 'to']);
      // The listing is a copy: changing it changes nothing.
      (jobs.listTasks()[0] as { queue: string }).queue = 'elsewhere';
      assert.equal(jobs.listTasks()[0]?.queue, 'default');
    } finally {
      await jobs.close();
    }
  });
});
