/**
 * A minimal NATS JetStream load driver over the raw text protocol (there is no native `nats` CLI on
 * Debian): CONNECT, SUB, PUB with a reply inbox (JetStream answers each stored message there with
 * {"stream":..,"seq":..}), and pull consumption through $JS.API.CONSUMER.MSG.NEXT. It frames each
 * publish once and writes them in chunks, so the client spends its time on the socket, not on encoding.
 */
import net from 'node:net';

type MsgHandler = (subject: string, payload: Buffer, status: boolean) => void;

const CRLF = Buffer.from('\r\n');

export class NatsConnection {
  private leftover: Buffer | undefined;
  private readonly subs = new Map<number, MsgHandler>();
  private nextSid = 1;
  private pongs: (() => void)[] = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => (this.failure = e));
  }

  static connect(port: number): Promise<NatsConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('data', (d: Buffer) => {
        if (!d.toString('utf8').startsWith('INFO ')) return reject(new Error(`not a NATS server: ${d}`));
        const conn = new NatsConnection(socket);
        socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n');
        conn.flush().then(() => resolve(conn), reject);
      });
    });
  }

  subscribe(subject: string, handler: MsgHandler): number {
    const sid = this.nextSid++;
    this.subs.set(sid, handler);
    this.socket.write(`SUB ${subject} ${sid}\r\n`);
    return sid;
  }

  /** One PUB frame, to write many times. */
  static frame(subject: string, reply: string, payload: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`PUB ${subject} ${reply} ${payload.length}\r\n`), payload, CRLF]);
  }

  write(bytes: Buffer | string): boolean {
    if (this.failure) throw this.failure;
    return this.socket.write(bytes);
  }

  /** PING/PONG round trip: everything written before has been processed by the server. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.pongs.push(resolve);
      this.socket.write('PING\r\n');
    });
  }

  /** A JetStream API request (JSON in, JSON out). */
  async request(subject: string, body: unknown): Promise<Record<string, unknown>> {
    const inbox = `_INBOX.api.${this.nextSid}`;
    let resolveReply!: (b: Buffer) => void;
    const reply = new Promise<Buffer>((r) => (resolveReply = r));
    const sid = this.subscribe(inbox, (_s, payload) => resolveReply(payload));
    const json = Buffer.from(JSON.stringify(body));
    this.write(NatsConnection.frame(subject, inbox, json));
    const answer = JSON.parse((await reply).toString('utf8')) as Record<string, unknown>;
    this.write(`UNSUB ${sid}\r\n`);
    this.subs.delete(sid);
    if (answer.error) throw new Error(`${subject}: ${JSON.stringify(answer.error)}`);
    return answer;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const buf = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
    this.leftover = undefined;
    let pos = 0;
    for (;;) {
      const eol = buf.indexOf(CRLF, pos);
      if (eol < 0) break;
      const op = buf.toString('latin1', pos, Math.min(eol, pos + 5));
      if (op.startsWith('MSG ') || op.startsWith('HMSG ')) {
        const parts = buf.toString('latin1', pos, eol).split(' ');
        const headers = op.startsWith('HMSG');
        const total = Number(parts[parts.length - 1]);
        const end = eol + 2 + total;
        if (end + 2 > buf.length) break; // wait for the rest of the payload
        const sid = Number(parts[2]);
        const hdrLen = headers ? Number(parts[parts.length - 2]) : 0;
        const payload = buf.subarray(eol + 2 + hdrLen, end);
        this.subs.get(sid)?.(parts[1], payload, headers && hdrLen > 0 && total === hdrLen);
        pos = end + 2;
        continue;
      }
      if (op.startsWith('PING')) this.socket.write('PONG\r\n');
      else if (op.startsWith('PONG')) this.pongs.shift()?.();
      else if (op.startsWith('-ERR')) this.failure = new Error(buf.toString('latin1', pos, eol));
      pos = eol + 2;
    }
    if (pos < buf.length) this.leftover = Buffer.from(buf.subarray(pos));
  }
}

export async function createStream(conn: NatsConnection, stream: string): Promise<void> {
  await conn.request(`$JS.API.STREAM.CREATE.${stream}`, {
    name: stream,
    subjects: [`${stream}.>`],
    storage: 'file',
    retention: 'limits',
    discard: 'old',
    num_replicas: 1,
  });
}

/**
 * Publishes `count` copies of `payload` to the stream with at most `window` unacknowledged, and
 * resolves with the elapsed ms once JetStream acknowledged every one of them.
 */
export async function publishWithAcks(
  conn: NatsConnection,
  stream: string,
  payload: Buffer,
  count: number,
  window = 2_000,
  chunk = 100,
): Promise<number> {
  const inbox = `_INBOX.acks.${stream}`;
  const frames = Buffer.concat(
    Array.from({ length: chunk }, () => NatsConnection.frame(`${stream}.x`, inbox, payload)),
  );
  let acked = 0;
  let sent = 0;
  let errors = 0;
  let wake: (() => void) | undefined;
  conn.subscribe(inbox, (_s, reply) => {
    // {"stream":"s","seq":n} or {"error":{...}}: the byte after the opening brace tells them apart.
    if (reply.includes('"error"')) errors++;
    acked++;
    wake?.();
  });
  await conn.flush();
  const start = performance.now();
  while (sent < count) {
    while (sent - acked >= window) await new Promise<void>((r) => (wake = r));
    const n = Math.min(chunk, count - sent);
    conn.write(n === chunk ? frames : frames.subarray(0, (frames.length / chunk) * n));
    sent += n;
  }
  while (acked < count) await new Promise<void>((r) => (wake = r));
  const ms = performance.now() - start;
  if (errors > 0) throw new Error(`JetStream refused ${errors} of ${count} publishes`);
  return ms;
}

/**
 * Reads the whole stream through a pull consumer (ack policy none, like a Kafka consumer that does not
 * commit per record), keeping two pull requests of `batch` outstanding. Resolves with the elapsed ms.
 */
export async function pullAll(
  conn: NatsConnection,
  stream: string,
  count: number,
  batch = 1_000,
): Promise<{ ms: number; bytes: number }> {
  const durable = `reader${Date.now() % 100000}`;
  await conn.request(`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`, {
    stream_name: stream,
    config: { durable_name: durable, deliver_policy: 'all', ack_policy: 'none', max_waiting: 16 },
  });
  const inbox = `_INBOX.pull.${durable}`;
  const next = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`;
  let received = 0;
  let bytes = 0;
  let requested = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pull = () => {
    const n = Math.min(batch, count - requested);
    if (n <= 0) return;
    requested += n;
    conn.write(NatsConnection.frame(next, inbox, Buffer.from(JSON.stringify({ batch: n, expires: 30e9 }))));
  };
  conn.subscribe(inbox, (_s, payload, status) => {
    if (status) return; // 408/404 status notices carry no record
    received++;
    bytes += payload.length;
    if (received % batch === 0) pull();
    if (received === count) done();
  });
  await conn.flush();
  const start = performance.now();
  pull();
  pull();
  await finished;
  return { ms: performance.now() - start, bytes };
}
