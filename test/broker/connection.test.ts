import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseConnection, type Dispatcher } from '../../src/broker/connection.js';
import { BrokerMetrics } from '../../src/broker/metrics.js';
import { KafkaServer } from '../../src/broker/server.js';
import { type Clock, realClock, VirtualClock } from '../../src/flow/clock.js';
import { frame, RawClient } from '../helpers/raw-client.js';

// Test dispatcher protocol: a request body is [int32 id][int32 command]; the response echoes the id.
// Command 0 answers at once, 1 waits until released by the test, 2 asks to close the connection.
const request = (id: number, command = 0) => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(id, 0);
  b.writeInt32BE(command, 4);
  return frame(b);
};
const responseId = (f: Buffer) => f.readInt32BE(0);
const answer = (id: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(id, 0);
  return { response: frame(b) };
};

const silent = pino({ level: 'silent' });
const servers: KafkaServer[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.stop(100);
});

async function startServer(
  dispatch: Dispatcher,
  opts: { maxInFlight?: number; idleMs?: number; clock?: Clock; shutdownGraceMs?: number } = {},
) {
  const metrics = new BrokerMetrics();
  const server = new KafkaServer(
    {
      host: '127.0.0.1',
      port: 0,
      maxRequestBytes: 1024,
      maxInFlight: opts.maxInFlight ?? 8,
      idleMs: opts.idleMs ?? 60_000,
      shutdownGraceMs: opts.shutdownGraceMs,
    },
    dispatch,
    opts.clock ?? realClock,
    silent,
    metrics,
  );
  const { port } = await server.listen();
  servers.push(server);
  return { server, port, metrics };
}

async function client(port: number) {
  const c = await RawClient.open(port);
  clients.push(c);
  return c;
}

/** A dispatcher whose "wait" requests stay pending until released, recording every dispatch. */
function gatedDispatcher() {
  const started: number[] = [];
  const gates = new Map<number, () => void>();
  const dispatch: Dispatcher = (f) => {
    const id = f.readInt32BE(0);
    const command = f.readInt32BE(4);
    started.push(id);
    if (command === 2) throw new CloseConnection('asked to close');
    if (command === 0) return answer(id);
    return new Promise((resolve) => gates.set(id, () => resolve(answer(id))));
  };
  const release = (id: number) => {
    const g = gates.get(id);
    if (!g) throw new Error(`request ${id} is not waiting`);
    gates.delete(id);
    g();
  };
  return { dispatch, started, release, gates };
}

const until = async (cond: () => boolean, what: string, ms = 3_000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('broker connections', () => {
  it('answers pipelined requests in request order even when later ones finish first', async () => {
    const g = gatedDispatcher();
    const { port } = await startServer(g.dispatch);
    const c = await client(port);
    // One write holding three frames: the slow one first.
    await c.write(Buffer.concat([request(1, 1), request(2), request(3)]));
    await until(() => g.started.length === 3, 'all three dispatched');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.frames).toHaveLength(0); // 2 and 3 are done but must wait behind 1
    g.release(1);
    const frames = await c.waitForFrames(3);
    expect(frames.map(responseId)).toEqual([1, 2, 3]);
  });

  it('handles frames split across writes', async () => {
    const g = gatedDispatcher();
    const { port } = await startServer(g.dispatch);
    const c = await client(port);
    const bytes = Buffer.concat([request(7), request(8)]);
    for (let i = 0; i < bytes.length; i += 3) {
      await c.write(bytes.subarray(i, i + 3));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await c.waitForFrames(2)).map(responseId)).toEqual([7, 8]);
  });

  it('stops reading at the in-flight limit and resumes as responses go out', async () => {
    const g = gatedDispatcher();
    const { port, metrics } = await startServer(g.dispatch, { maxInFlight: 2 });
    const c = await client(port);
    await c.write(Buffer.concat([1, 2, 3, 4, 5].map((id) => request(id, 1))));
    await until(() => g.started.length === 2, 'two dispatched');
    await new Promise((r) => setTimeout(r, 50));
    expect(g.started).toEqual([1, 2]); // 3..5 stay unread in the socket
    expect((await metrics.connectionPauses.get()).values[0].value).toBeGreaterThanOrEqual(1);
    g.release(1);
    await until(() => g.started.length === 3, 'third dispatched');
    expect(g.started).toEqual([1, 2, 3]);
    for (const id of [2, 3]) g.release(id);
    await until(() => g.started.length === 5, 'all dispatched');
    for (const id of [4, 5]) g.release(id);
    expect((await c.waitForFrames(5)).map(responseId)).toEqual([1, 2, 3, 4, 5]);
  });

  it('closes only the connection that sent an oversized frame', async () => {
    const g = gatedDispatcher();
    const { port, metrics } = await startServer(g.dispatch);
    const bad = await client(port);
    const good = await client(port);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(1025, 0);
    await bad.write(huge);
    await bad.closed;
    await good.write(request(42));
    expect((await good.waitForFrames(1)).map(responseId)).toEqual([42]);
    expect(good.isOpen).toBe(true);
    const closed = await metrics.connectionsClosed.get();
    expect(closed.values.find((v) => v.labels.reason === 'bad_frame')?.value).toBe(1);
  });

  it('closes only the connection whose request the dispatcher refuses', async () => {
    const g = gatedDispatcher();
    const { port } = await startServer(g.dispatch);
    const bad = await client(port);
    const good = await client(port);
    await bad.write(request(1, 2));
    await bad.closed;
    await good.write(request(2));
    expect((await good.waitForFrames(1)).map(responseId)).toEqual([2]);
  });

  it('closes an idle connection after connections.max.idle.ms, measured on the injected clock', async () => {
    const clock = new VirtualClock(0);
    const g = gatedDispatcher();
    const { port } = await startServer(g.dispatch, { idleMs: 1_000, clock });
    const c = await client(port);
    await clock.advance(500);
    await c.write(request(1)); // activity at t=500 pushes the deadline to t=1500
    await c.waitForFrames(1);
    await clock.advance(600); // t=1100
    await new Promise((r) => setTimeout(r, 30));
    expect(c.isOpen).toBe(true);
    await clock.advance(450); // t=1550
    await c.closed;
    expect(c.isOpen).toBe(false);
  });

  it('does not close a connection as idle while a request is in flight', async () => {
    const clock = new VirtualClock(0);
    const g = gatedDispatcher();
    const { port } = await startServer(g.dispatch, { idleMs: 1_000, clock });
    const c = await client(port);
    await c.write(request(1, 1));
    await until(() => g.started.length === 1, 'dispatched');
    await clock.advance(5_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(c.isOpen).toBe(true);
    g.release(1);
    await c.waitForFrames(1);
    await clock.advance(1_001);
    await c.closed;
  });

  it('stop() destroys a peer that never closes its side once the grace period on the clock is over', async () => {
    const clock = new VirtualClock(0);
    const g = gatedDispatcher();
    const { server, port } = await startServer(g.dispatch, { clock, shutdownGraceMs: 300 });
    // allowHalfOpen: the peer keeps its side open after the broker's FIN, as a stuck client would.
    const peer: Socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => peer.once('connect', resolve).once('error', reject));
    let peerEnded = false;
    peer.on('end', () => {
      peerEnded = true;
    });
    const peerClosed = new Promise<void>((resolve) => peer.once('close', () => resolve()));
    peer.on('error', () => {});
    await until(() => server.connectionCount === 1, 'accepted');
    let stopped = false;
    const stopping = server.stop().then(() => {
      stopped = true;
    });
    servers.splice(servers.indexOf(server), 1);
    await until(() => peerEnded, 'the broker half-closes');
    await clock.advance(299);
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    await clock.advance(1);
    await until(() => stopped, 'stop() to return at the end of the grace period', 1_000);
    await stopping;
    // The broker's side is gone: the peer's writes are answered with a reset, which closes it.
    let closed = false;
    void peerClosed.then(() => {
      closed = true;
    });
    await until(() => {
      if (!peer.destroyed) peer.write(Buffer.from([0, 0, 0, 0]));
      return closed;
    }, 'the peer to see the reset');
  });

  it('stop() right after clients closed says nothing about connections left open (none were)', async () => {
    // The lab closes its clients, then its broker: their sockets are closing as stop() begins.
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
    const g = gatedDispatcher();
    const server = new KafkaServer(
      { host: '127.0.0.1', port: 0, maxRequestBytes: 1024, maxInFlight: 8, idleMs: 60_000 },
      g.dispatch,
      realClock,
      logger,
      new BrokerMetrics(),
    );
    const { port } = await server.listen();
    const peers = await Promise.all([1, 2, 3].map(() => RawClient.open(port)));
    for (const [i, p] of peers.entries()) await p.write(request(i));
    await until(() => peers.every((p) => p.frames.length === 1), 'answers');
    for (const p of peers) p.close();
    await server.stop(2_500);
    expect(logged.filter((l) => l.includes('destroying connections'))).toEqual([]);
  });

  it('stop() answers requests in flight before closing', async () => {
    const g = gatedDispatcher();
    const { server, port } = await startServer(g.dispatch);
    const c = await client(port);
    await c.write(request(9, 1));
    await until(() => g.started.length === 1, 'dispatched');
    const stopping = server.stop(5_000);
    setTimeout(() => g.release(9), 30);
    await stopping;
    servers.splice(servers.indexOf(server), 1);
    await c.closed;
    expect(c.frames.map(responseId)).toEqual([9]);
  });
});
