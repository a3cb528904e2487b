import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../errors.js';
import { InvalidCronError, nextSlot, validateCron } from './timing.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('validateCron', () => {
  const cases: Array<[string, string]> = [
    ['61 * * * *', 'minute'],
    ['* 25 * * *', 'hour'],
    ['* * 32 * *', 'dayOfMonth'],
    ['* * * 13 *', 'month'],
    ['* * * * 8', 'dayOfWeek'],
    ['*/0 * * * *', 'minute'],
    ['99 * * * * *', 'second'],
    ['0 61 * * * *', 'minute'],
    ['0 0 30 2 *', 'dayOfMonth'],
    ['* * * * * * *', 'cron'],
    ['every day', 'cron'],
    ['', 'cron'],
  ];
  for (const [expression, field] of cases) {
    it(`names the field "${field}" in ${JSON.stringify(expression)}`, () => {
      assert.throws(
        () => validateCron(expression),
        (error: unknown) => {
          assert.ok(error instanceof InvalidCronError);
          assert.ok(error instanceof InvalidArgumentError);
          assert.equal(error.code, 'E_INVALID_ARGUMENT');
          assert.equal(error.field, field);
          if (field !== 'cron') assert.match(error.message, new RegExp(`cron field "${field}"`));
          return true;
        },
      );
    });
  }

  it('accepts five fields, six with seconds, names and macros', () => {
    for (const expression of ['*/5 * * * *', '*/2 * * * * *', '0 9 * * MON-FRI', '0 0 1 JAN *', '@daily', '@hourly']) {
      assert.doesNotThrow(() => validateCron(expression), expression);
    }
  });

  it('rejects an unknown time zone, naming it', () => {
    assert.throws(
      () => validateCron('0 9 * * *', 'Mars/Olympus'),
      (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError);
        assert.equal(error.argument, 'timezone');
        return true;
      },
    );
  });
});

describe('nextSlot', () => {
  it('gives the cron slot strictly after the given time, to the second', () => {
    const timing = { kind: 'cron', cron: '*/2 * * * * *', timezone: undefined } as const;
    assert.equal(iso(nextSlot(timing, at('2030-01-01T00:00:02.000Z'))), '2030-01-01T00:00:04.000Z');
    assert.equal(iso(nextSlot(timing, at('2030-01-01T00:00:01.999Z'))), '2030-01-01T00:00:02.000Z');
    assert.equal(iso(nextSlot(timing, at('2030-01-01T00:00:02.001Z'))), '2030-01-01T00:00:04.000Z');
  });

  it('reads cron in the schedule time zone, daylight saving included', () => {
    const timing = { kind: 'cron', cron: '0 9 * * *', timezone: 'America/New_York' } as const;
    // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    assert.equal(iso(nextSlot(timing, at('2030-01-15T00:00:00Z'))), '2030-01-15T14:00:00.000Z');
    assert.equal(iso(nextSlot(timing, at('2030-07-15T00:00:00Z'))), '2030-07-15T13:00:00.000Z');
    const utc = { kind: 'cron', cron: '0 9 * * *', timezone: undefined } as const;
    assert.equal(iso(nextSlot(utc, at('2030-07-15T00:00:00Z'))), '2030-07-15T09:00:00.000Z');
  });

  it('puts interval slots on multiples of the interval, shifted by the offset', () => {
    const fiveMinutes = { kind: 'interval', everyMs: 300_000, offsetMs: 0 } as const;
    assert.equal(iso(nextSlot(fiveMinutes, at('2030-01-01T10:02:30Z'))), '2030-01-01T10:05:00.000Z');
    assert.equal(iso(nextSlot(fiveMinutes, at('2030-01-01T10:05:00Z'))), '2030-01-01T10:10:00.000Z');
    const shifted = { kind: 'interval', everyMs: 300_000, offsetMs: 60_000 } as const;
    assert.equal(iso(nextSlot(shifted, at('2030-01-01T10:02:30Z'))), '2030-01-01T10:06:00.000Z');
    assert.equal(iso(nextSlot(shifted, at('2030-01-01T10:00:30Z'))), '2030-01-01T10:01:00.000Z');
  });
});
