import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../src/client/connection.js';
import { ConnectionError, RequestTimeoutError } from '../../src/client/errors.js';
import { RealClock, VirtualClock } from '../../src/flow/clock.js';

/** A fake broker: parses size-prefixed frames and lets the test decide when and how to answer. */
class FakeServer {
  server: net.Server;
  sockets: net.Socket[] = [];
  received: { correlationId: number; payload: Buffer; socket: net.Socket }[] = [];
  onRequest: (req: { correlationId: number; payload: Buffer; socket: net.Socket }) => void = () => {};
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = net.createServer((socket) => {
      this.sockets.push(socket);
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const size = buf.readInt32BE(0);
          const frame = buf.subarray(4, 4 + size);
          buf = buf.subarray(4 + size);
          const req = { correlationId: frame.readInt32BE(0), payload: frame.subarray(4), socket };
          this.received.push(req);
          this.onRequest(req);
          for (const w of this.waiters.splice(0)) w();
        }
      });
      socket.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((r) => this.waiters.push(r));
  }

  static reply(socket: net.Socket, correlationId: number, payload: Buffer): void {
    const frame = Buffer.alloc(8 + payload.length);
    frame.writeInt32BE(4 + payload.length, 0);
    frame.writeInt32BE(correlationId, 4);
    payload.copy(frame, 8);
    socket.write(frame);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Request frames in this test: size, correlation id, payload. */
const frameOf = (payload: string) => (correlationId: number) => {
  const body = Buffer.from(payload);
  const f = Buffer.alloc(8 + body.length);
  f.writeInt32BE(4 + body.length, 0);
  f.writeInt32BE(correlationId, 4);
  body.copy(f, 8);
  return f;
};

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(options: Partial<ConstructorParameters<typeof Connection>[0]> = {}) {
  const server = new FakeServer();
  const port = await server.listen();
  const conn = new Connection({ host: '127.0.0.1', port, clock: new RealClock(), ...options });
  cleanup.push(
    () => server.close(),
    () => conn.close(),
  );
  return { server, conn };
}

describe('Connection', () => {
  it('matches responses to requests by correlation id, even out of order', async () => {
    const { server, conn } = await setup();
    const a = conn.send(frameOf('a'), { what: 'A' });
    const b = conn.send(frameOf('b'), { what: 'B' });
    await server.until(() => server.received.length === 2);
    const [ra, rb] = server.received;
    FakeServer.reply(rb.socket, rb.correlationId, Buffer.from('for-b'));
    FakeServer.reply(ra.socket, ra.correlationId, Buffer.from('for-a'));
    expect((await a).subarray(4).toString()).toBe('for-a');
    expect((await b).subarray(4).toString()).toBe('for-b');
    expect(ra.correlationId).not.toBe(rb.correlationId);
  });

  it('reassembles frames split across reads and splits frames sharing one read', async () => {
    const { server, conn } = await setup();
    server.onRequest = () => {};
    const sends = [0, 1, 2].map((i) => conn.send(frameOf(`r${i}`), { what: `R${i}` }));
    await server.until(() => server.received.length === 3);
    const parts = server.received.map((r) => {
      const f = Buffer.alloc(8 + 1000);
      f.writeInt32BE(4 + 1000, 0);
      f.writeInt32BE(r.correlationId, 4);
      f.fill(r.payload[1], 8);
      return f;
    });
    const all = Buffer.concat(parts);
    const socket = server.received[0].socket;
    // Dribble: 3 bytes, then a piece crossing frame boundaries, then the rest in one go.
    socket.write(all.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 5));
    socket.write(all.subarray(3, 1500));
    await new Promise((r) => setTimeout(r, 5));
    socket.write(all.subarray(1500));
    const got = await Promise.all(sends);
    expect(got.map((f) => String.fromCharCode(f[4]))).toEqual(['0', '1', '2']);
    expect(got.every((f) => f.length === 1004)).toBe(true);
  });

  it('never has more than maxInFlight requests outstanding; the rest wait visibly', async () => {
    const { server, conn } = await setup({ maxInFlight: 2 });
    const sends = [0, 1, 2, 3, 4].map((i) => conn.send(frameOf(`q${i}`), { what: `Q${i}` }));
    await server.until(() => server.received.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.received).toHaveLength(2);
    expect(conn.stats()).toMatchObject({ inFlight: 2, queued: 3 });
    server.onRequest = (r) => FakeServer.reply(r.socket, r.correlationId, r.payload);
    for (const r of server.received.splice(0)) FakeServer.reply(r.socket, r.correlationId, r.payload);
    const got = await Promise.all(sends);
    expect(got.map((f) => f.subarray(4).toString())).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect(conn.stats()).toMatchObject({ inFlight: 0, queued: 0, requestsSent: 5 });
  });

  it('times out a request on the injected clock and fails the others on that connection', async () => {
    const clock = new VirtualClock();
    const { server, conn } = await setup({ clock, requestTimeoutMs: 1000 });
    const slow = conn.send(frameOf('slow'), { what: 'Slow v1' }).catch((e: unknown) => e);
    const other = conn.send(frameOf('other'), { what: 'Other v1', timeoutMs: 5000 }).catch((e: unknown) => e);
    await server.until(() => server.received.length === 2);
    await clock.advance(999);
    expect(conn.stats().inFlight).toBe(2);
    await clock.advance(1);
    const err = await slow;
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(String(err)).toMatch(/Slow v1 to 127\.0\.0\.1:\d+ got no response within 1000 ms/);
    expect(await other).toBeInstanceOf(ConnectionError);
    // The connection comes back for the next request.
    server.onRequest = (r) => FakeServer.reply(r.socket, r.correlationId, Buffer.from('ok'));
    expect((await conn.send(frameOf('again'), { what: 'Again' })).subarray(4).toString()).toBe('ok');
  });

  it('resolves requests that expect no response once written (acks=0)', async () => {
    const { server, conn } = await setup();
    const r = await conn.send(frameOf('fire'), { what: 'Produce acks=0', expectResponse: false });
    expect(r.length).toBe(0);
    await server.until(() => server.received.length === 1);
    expect(conn.stats().inFlight).toBe(0);
  });

  it('says clearly when the broker is not there', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const conn = new Connection({ host: '127.0.0.1', port, clock: new RealClock() });
    cleanup.push(() => conn.close());
    await expect(conn.send(frameOf('x'), { what: 'X' })).rejects.toThrow(
      /cannot connect to 127\.0\.0\.1:\d+.*is the broker up/,
    );
  });

  it('waits an exponential backoff on the clock before reconnecting to a broker that is down', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const clock = new VirtualClock();
    const conn = new Connection({ host: '127.0.0.1', port, clock, reconnectBackoffMs: 100 });
    cleanup.push(() => conn.close());
    await expect(conn.connect()).rejects.toThrow(ConnectionError);
    expect(conn.backoffRemaining()).toBe(100);
    let settled = false;
    const second = conn.connect().then(
      () => 'connected',
      (e: Error) => {
        settled = true;
        return e.message;
      },
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBe(false); // no attempt before the backoff ran out
    await clock.advance(100);
    expect(await second).toMatch(/cannot connect/);
    expect(conn.backoffRemaining()).toBe(200);
    // The broker comes back: after the backoff, the next attempt connects.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    const third = conn.connect();
    await clock.advance(200);
    await third;
    expect(conn.isConnected()).toBe(true);
    expect(conn.backoffRemaining()).toBe(0);
  });

  it('closes on an absurd frame size instead of buffering forever', async () => {
    const { server, conn } = await setup({ maxResponseBytes: 1024 });
    const p = conn.send(frameOf('x'), { what: 'X' });
    await server.until(() => server.received.length === 1);
    const bogus = Buffer.alloc(8);
    bogus.writeInt32BE(1 << 30, 0);
    server.received[0].socket.write(bogus);
    await expect(p).rejects.toThrow(/response frame of 1073741824 bytes/);
  });
});
