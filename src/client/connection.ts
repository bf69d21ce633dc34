import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { Clock, Timer } from '../flow/clock.js';
import { ClientClosedError, ConnectionError, KafkaClientError, RequestTimeoutError } from './errors.js';
import { type ClientSecurity, tlsConnectOptions } from './security.js';

/**
 * One TCP connection to one broker: Kafka framing (int32 size prefix), correlation ids, a cap on the
 * requests in flight, and per-request timeouts. It knows nothing about request bodies: callers hand it
 * a function that encodes the frame for a given correlation id and get back the response frame (the
 * bytes after the size prefix, starting with the correlation id).
 *
 * Requests past the in-flight cap wait in a local queue; its length is part of `stats()` so the wait
 * is visible. A request that times out closes the connection: its late answer could otherwise be
 * mistaken for another's, and a broker that stopped answering is better reconnected.
 */

export interface ConnectionOptions {
  host: string;
  port: number;
  clock: Clock;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Default 30 s. */
  requestTimeoutMs?: number;
  /** Requests awaiting their response at once on this connection (default 5, like Java's default). */
  maxInFlight?: number;
  /** Largest response frame accepted (default 256 MiB); a bigger size prefix means a broken stream. */
  maxResponseBytes?: number;
  /** Sees every frame sent and received (for debugging and for the wire-format tests). */
  tap?: FrameTap;
  /** Wait before reconnecting after a failed attempt: doubles per failure from this (default 50 ms)... */
  reconnectBackoffMs?: number;
  /** ...up to this (default 2 s). */
  reconnectBackoffMaxMs?: number;
  /** TLS and SASL settings (src/client/security.ts); TLS is applied here, SASL by BrokerConnection. */
  security?: ClientSecurity;
  /**
   * Runs on every new socket before anything queued is written, with the socket to itself (as in
   * `exclusive`); connect() resolves once it has. BrokerConnection negotiates versions and authenticates
   * here, so requests queued across a reconnect never reach a broker that has not heard who is asking.
   * If it throws, the socket is closed and the attempt fails with that error.
   */
  onSocket?: (send: Connection['send']) => Promise<void>;
}

export interface FrameTap {
  /** A request frame, size prefix included. */
  request(frame: Buffer): void;
  /** A response frame, without its size prefix. */
  response(frame: Buffer): void;
}

export interface SendOptions {
  /** What the request is, for error messages ("Produce v7 to broker 1"). */
  what: string;
  /** False for Produce with acks=0: the broker sends nothing back. */
  expectResponse?: boolean;
  timeoutMs?: number;
}

interface Pending {
  correlationId: number;
  what: string;
  resolve: (frame: Buffer) => void;
  reject: (err: unknown) => void;
  timer: Timer | null;
}

interface Queued {
  build: (correlationId: number) => Buffer;
  options: SendOptions;
  resolve: (frame: Buffer) => void;
  reject: (err: unknown) => void;
}

export interface ConnectionStats {
  inFlight: number;
  queued: number;
  /** Bytes written to the socket that the kernel has not taken yet. */
  unsentBytes: number;
  requestsSent: number;
  bytesSent: number;
  bytesReceived: number;
}

export class Connection extends EventEmitter {
  readonly host: string;
  readonly port: number;
  readonly maxInFlight: number;
  private readonly clock: Clock;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly tap: FrameTap | undefined;
  private readonly reconnectBackoffMs: number;
  private readonly reconnectBackoffMaxMs: number;
  readonly security: ClientSecurity | undefined;
  private readonly onSocket: ConnectionOptions['onSocket'];
  private connectFailures = 0;
  private lastConnectFailureAt = 0;
  private socket: net.Socket | null = null;
  private connecting: Promise<void> | null = null;
  private readonly inFlight = new Map<number, Pending>();
  private readonly waiting: Queued[] = [];
  private nextCorrelationId = 1;
  private closed = false;
  /** Open exclusive() exchanges: while above 0, queued requests stay unsent. */
  private held = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  private readonly counters = { requestsSent: 0, bytesSent: 0, bytesReceived: 0 };

  constructor(options: ConnectionOptions) {
    super();
    this.host = options.host;
    this.port = options.port;
    this.clock = options.clock;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 5);
    this.maxResponseBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
    this.tap = options.tap;
    this.reconnectBackoffMs = options.reconnectBackoffMs ?? 50;
    this.reconnectBackoffMaxMs = options.reconnectBackoffMaxMs ?? 2000;
    this.security = options.security;
    this.onSocket = options.onSocket;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  isConnected(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  /**
   * Connects (once; concurrent callers share the attempt). After failed attempts the next one waits an
   * exponential backoff, so a broker that is down is not hammered by every request.
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError(`connection to ${this.address}`));
    // While onSocket runs the socket is up but not ready: callers wait for the attempt.
    if (this.connecting) return this.connecting;
    if (this.isConnected()) return Promise.resolve();
    const attempt = async () => {
      const wait = this.backoffRemaining();
      if (wait > 0) await this.clock.sleep(wait);
      if (this.closed) throw new ClientClosedError(`connection to ${this.address}`);
      try {
        await this.openSocket();
        if (this.onSocket) await this.prepareSocket(this.onSocket);
        this.connectFailures = 0;
      } catch (err) {
        this.connectFailures++;
        this.lastConnectFailureAt = this.clock.now();
        throw err;
      }
    };
    const p = attempt();
    this.connecting = p;
    p.then(
      () => {
        if (this.connecting === p) this.connecting = null;
      },
      () => {
        if (this.connecting === p) this.connecting = null;
      },
    );
    return p;
  }

  private async prepareSocket(prepare: (send: Connection['send']) => Promise<void>): Promise<void> {
    const socket = this.socket;
    try {
      // exclusive() pumps the queue when it ends; the caller's pump after connect() finds it done.
      await this.exclusive(prepare);
    } catch (err) {
      if (this.socket === socket) this.teardown(err);
      throw err;
    }
  }

  /** Milliseconds until the next connection attempt is allowed. */
  backoffRemaining(): number {
    if (this.connectFailures === 0) return 0;
    const backoff = Math.min(
      this.reconnectBackoffMaxMs,
      this.reconnectBackoffMs * 2 ** (this.connectFailures - 1),
    );
    return Math.max(0, this.lastConnectFailureAt + backoff - this.clock.now());
  }

  private openSocket(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const useTls = this.security?.tls !== undefined;
      const socket = useTls
        ? tls.connect(tlsConnectOptions(this.security!, this.host, this.port))
        : net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
      // An error after TCP connected but before 'secureConnect' is the TLS handshake failing.
      let tcpUp = false;
      socket.once('connect', () => {
        tcpUp = true;
      });
      const timer = this.clock.setTimeout(() => {
        socket.destroy();
        reject(
          new ConnectionError(
            `connecting to ${this.address} took longer than ${this.connectTimeoutMs} ms; is the broker up?`,
          ),
        );
      }, this.connectTimeoutMs);
      socket.once('error', (err) => {
        timer.cancel();
        const tlsFailure = useTls && tcpUp;
        reject(
          tlsFailure
            ? new KafkaClientError(
                `TLS handshake with ${this.address} failed: ${err.message}; check the CA (--tls-ca) and that this port is an SSL/SASL_SSL listener`,
                { retriable: false, cause: err },
              )
            : new ConnectionError(
                `cannot connect to ${this.address}: ${err.message}; is the broker up?`,
                err,
              ),
        );
      });
      socket.once(useTls ? 'secureConnect' : 'connect', () => {
        timer.cancel();
        socket.removeAllListeners('error');
        if (this.closed) {
          socket.destroy();
          reject(new ClientClosedError(`connection to ${this.address}`));
          return;
        }
        this.attach(socket);
        resolve();
      });
    });
  }

  /**
   * Sends one request. Resolves with the response frame (without size prefix), or with an empty buffer
   * once written when no response is expected.
   */
  send(build: (correlationId: number) => Buffer, options: SendOptions): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ClientClosedError(options.what));
    return new Promise<Buffer>((resolve, reject) => {
      const q: Queued = { build, options, resolve, reject };
      if (
        this.inFlight.size < this.maxInFlight &&
        this.waiting.length === 0 &&
        this.isConnected() &&
        this.held === 0
      ) {
        this.write(q);
      } else {
        this.waiting.push(q);
        this.pump();
      }
    });
  }

  /**
   * Runs `exchange` with the socket to itself: what `send` is given meanwhile waits unsent until it ends,
   * and `exchange` sends through its own argument, past the in-flight cap. KIP-368's re-authentication
   * needs this, since the broker reads the frames after a SaslHandshake as the SASL exchange. Requests
   * already in flight are answered before it, as a broker answers in order.
   */
  async exclusive<T>(exchange: (send: Connection['send']) => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await exchange((build, options) => this.sendNow(build, options));
    } finally {
      this.held--;
      this.pump();
    }
  }

  private sendNow(build: (correlationId: number) => Buffer, options: SendOptions): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ClientClosedError(options.what));
    if (!this.isConnected()) {
      return Promise.reject(new ConnectionError(`${options.what}: the connection to ${this.address} closed`));
    }
    return new Promise<Buffer>((resolve, reject) => this.write({ build, options, resolve, reject }));
  }

  /**
   * Closes the current socket but not the Connection: what is in flight fails with `reason`, what is
   * queued goes out on a new socket.
   */
  drop(reason: unknown): void {
    this.teardown(reason);
  }

  stats(): ConnectionStats {
    return {
      inFlight: this.inFlight.size,
      queued: this.waiting.length,
      unsentBytes: this.socket?.writableLength ?? 0,
      ...this.counters,
    };
  }

  private socketClosed: Promise<void> = Promise.resolve();

  /**
   * Closes the connection; everything in flight or queued fails with ClientClosedError. Resolves once the
   * socket is closed (callers that do not await it lose nothing: the teardown itself is synchronous).
   */
  close(): Promise<void> {
    if (this.closed) return this.socketClosed;
    this.closed = true;
    const socket = this.socket;
    this.teardown(new ClientClosedError(`connection to ${this.address}`));
    // teardown() destroyed the socket and removed its listeners; 'close' follows on a later tick.
    if (socket && !socket.closed) {
      this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    }
    return this.socketClosed;
  }

  private pump(): void {
    if (this.waiting.length === 0 || this.held > 0) return;
    if (!this.isConnected()) {
      this.connect().then(
        () => this.pump(),
        (err) => {
          for (const q of this.waiting.splice(0)) q.reject(err);
        },
      );
      return;
    }
    while (this.waiting.length > 0 && this.inFlight.size < this.maxInFlight)
      this.write(this.waiting.shift()!);
  }

  private write(q: Queued): void {
    const socket = this.socket!;
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = this.nextCorrelationId >= 0x7fffffff ? 1 : this.nextCorrelationId + 1;
    let frame: Buffer;
    try {
      frame = q.build(correlationId);
    } catch (err) {
      q.reject(err);
      return;
    }
    this.counters.requestsSent++;
    this.counters.bytesSent += frame.length;
    this.tap?.request(frame);
    if (q.options.expectResponse === false) {
      socket.write(frame, (err) =>
        err
          ? q.reject(new ConnectionError(`${q.options.what}: write failed`, err))
          : q.resolve(Buffer.alloc(0)),
      );
      return;
    }
    const timeoutMs = q.options.timeoutMs ?? this.requestTimeoutMs;
    const pending: Pending = {
      correlationId,
      what: q.options.what,
      resolve: q.resolve,
      reject: q.reject,
      timer: null,
    };
    pending.timer = this.clock.setTimeout(() => {
      if (!this.inFlight.has(correlationId)) return;
      this.inFlight.delete(correlationId);
      q.reject(new RequestTimeoutError(`${q.options.what} to ${this.address}`, timeoutMs));
      this.teardown(new ConnectionError(`connection to ${this.address} closed after a request timed out`));
    }, timeoutMs);
    this.inFlight.set(correlationId, pending);
    socket.write(frame);
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.chunks = [];
    this.buffered = 0;
    this.expected = -1;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.teardown(new ConnectionError(`connection to ${this.address} failed: ${err.message}`, err)),
    );
    socket.on('close', () =>
      this.teardown(new ConnectionError(`connection to ${this.address} closed by the broker`)),
    );
    socket.on('drain', () => this.emit('drain'));
  }

  private onData(chunk: Buffer): void {
    this.counters.bytesReceived += chunk.length;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) return;
        const head = this.take(4);
        this.expected = head.readInt32BE(0);
        // An HTTP server answers a Kafka request with "HTTP/1.1 400": read as a size, 1213486160 bytes.
        if (head.toString('latin1') === 'HTTP') {
          this.teardown(
            new KafkaClientError(
              `${this.address} answered in HTTP, not the Kafka protocol: it is a web service (a lab service, a ` +
                'dashboard), not a broker; give the broker\'s host:port (sluice lab prints it as "broker")',
              { retriable: false },
            ),
          );
          return;
        }
        if (this.expected < 4 || this.expected > this.maxResponseBytes) {
          this.teardown(
            new KafkaClientError(
              `broker ${this.address} sent a response frame of ${this.expected} bytes (limit ${this.maxResponseBytes}); ` +
                'the stream is not Kafka or is corrupt, so the connection was closed',
              { retriable: true },
            ),
          );
          return;
        }
      }
      if (this.buffered < this.expected) return;
      const frame = this.take(this.expected);
      this.expected = -1;
      this.deliver(frame);
      if (this.socket === null) return;
    }
  }

  /** Takes `n` bytes off the front of the received chunks, copying only when a frame spans chunks. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const use = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, use);
        filled += use;
        if (use === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(use);
      }
    }
    this.buffered -= n;
    return out;
  }

  private deliver(frame: Buffer): void {
    this.tap?.response(frame);
    const correlationId = frame.readInt32BE(0);
    const pending = this.inFlight.get(correlationId);
    if (!pending) {
      // Kafka answers in order, so an unknown id means we lost track: start over on a new connection.
      this.teardown(
        new KafkaClientError(`broker ${this.address} answered unknown correlation id ${correlationId}`, {
          retriable: true,
        }),
      );
      return;
    }
    this.inFlight.delete(correlationId);
    pending.timer?.cancel();
    pending.resolve(frame);
    this.pump();
  }

  private teardown(err: unknown): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      socket.destroy();
    }
    for (const p of this.inFlight.values()) {
      p.timer?.cancel();
      p.reject(err);
    }
    this.inFlight.clear();
    if (this.closed) for (const q of this.waiting.splice(0)) q.reject(err);
    else if (this.waiting.length > 0) this.pump();
    if (socket) this.emit('disconnect', err);
  }
}
