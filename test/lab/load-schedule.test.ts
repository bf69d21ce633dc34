import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Clock, VirtualClock } from '../../src/flow/clock.js';
import { runLoad } from '../../src/lab/load.js';

/**
 * The generator's schedule, not the clock alone, bounds what it sends: timers may wake a little early
 * (Node's do, by up to a millisecond), and a generator that trusted only the clock then ran one extra
 * tick past the end and sent more than rate x duration.
 */

let server: Server;
let url: string;
let received = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const count = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('count'));
    received += count;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A clock whose sleeps end 1 ms before they should, then hands over to virtual time. */
function earlyWakingClock(): Clock {
  const clock = new VirtualClock(0);
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    setInterval: (fn, ms) => clock.setInterval(fn, ms),
    sleep: async (ms) => {
      await clock.advance(Math.max(0, ms - 1));
    },
  };
}

it('never sends more than rate x duration, even when its timers wake early', async () => {
  received = 0;
  const report = await runLoad({
    url,
    scenario: 'steady',
    rate: 50,
    durationMs: 2_000,
    clock: earlyWakingClock(),
    maxInFlight: 100, // virtual time outruns the real requests; none may count as behind
  });
  expect(report.errors).toBe(0);
  expect(report.sent).toBe(100);
  expect(received).toBe(100);
});
