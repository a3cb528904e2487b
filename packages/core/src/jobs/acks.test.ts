import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckBatcher } from './acks.js';
import { MemoryJobStore } from './memory-store.js';
import type { ClaimRequest, FinishItem, FinishReply } from './store.js';

/** The memory engine, recording the size of every finish call; `gate` holds replies back while set. */
class CountingStore extends MemoryJobStore {
  readonly calls: number[] = [];
  gate: Promise<void> | undefined;

  override async finish(queue: string, items: readonly FinishItem[], next: ClaimRequest): Promise<FinishReply> {
    this.calls.push(items.length);
    if (this.gate) await this.gate;
    return super.finish(queue, items, next);
  }
}

function setup(): { store: CountingStore; acks: AckBatcher; ack: (n: number) => Promise<unknown> } {
  const rule = { ageMs: 0, keep: 0 };
  const store = new CountingStore({
    retention: { completed: rule, failed: rule },
    eventsMaxLength: 1000,
    groupConcurrency: 1,
    maxStalls: 1,
  });
  const acks = new AckBatcher(
    store,
    (count) => ({ workerId: 'w', count, leaseMs: 30_000 }),
    (error) => assert.fail(String(error)),
    25,
  );
  let next = 0;
  const ack = (n: number): Promise<unknown> =>
    Promise.all(
      Array.from({ length: n }, () =>
        acks.finish('q', { localId: `j${++next}`, token: '1', outcome: { kind: 'completed', result: '1' } }, 0),
      ),
    );
  return { store, acks, ack };
}

const inOwnTurn = <T>(run: () => Promise<T>): Promise<T> =>
  new Promise((resolve) => setTimeout(() => resolve(run()), 1));

describe('AckBatcher', () => {
  it('sends the outcomes of jobs that end together in a turn of their own in one call, when the turn ends', async () => {
    const { store, ack } = setup();
    await inOwnTurn(() => ack(60));
    assert.deepEqual(store.calls, [60]);
  });

  it('sends a chunk at once in the turn that handled a reply, so Redis works while the rest run', async () => {
    const { store, ack } = setup();
    await inOwnTurn(async () => {
      await ack(1);
      // Still the turn of that reply: the next outcomes go out in chunks of flushAt.
      await ack(30);
    });
    assert.deepEqual(store.calls, [1, 25, 5]);
  });

  it('sends a chunk at once while an earlier batch is still in flight', async () => {
    const { store, ack } = setup();
    let open = (): void => {};
    store.gate = new Promise((resolve) => (open = resolve));
    const first = inOwnTurn(() => ack(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = inOwnTurn(() => ack(30));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(store.calls, [1, 25, 5]);
    open();
    await Promise.all([first, second]);
  });

  it('never holds more than 200 outcomes back; once that call is in flight, the rest go in chunks', async () => {
    const { store, ack } = setup();
    await inOwnTurn(() => ack(450));
    assert.deepEqual(store.calls, [200, ...Array<number>(10).fill(25)]);
  });
});
