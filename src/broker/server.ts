import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Clock } from '../flow/clock.js';
import { Connection, type ConnectionLimits, type Dispatcher } from './connection.js';
import type { BrokerMetrics } from './metrics.js';
import { RequestMemoryBudget } from './request-memory.js';

interface ServerOptions extends ConnectionLimits {
  host: string;
  port: number;
  /**
   * Request bytes all connections may hold at once (see request-memory.ts); unlimited when absent. A
   * `requestMemory` budget given instead is shared with other servers (the broker's listeners).
   */
  queuedMaxRequestBytes?: number;
  /** How long stop() waits for in-flight answers and for peers to close before destroying sockets. */
  shutdownGraceMs?: number;
  /** Speak TLS on this port (an SSL or SASL_SSL listener). */
  tls?: TlsOptions;
  /** Told of every accepted connection with its socket (the security layer attaches its session here). */
  onAccept?: (conn: Connection, socket: Socket) => void;
}

/** Long enough for in-flight answers to go out, short enough that a stuck peer cannot hold stop(). */
const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/** The TCP side of the broker: accepts connections and hands each a {@link Connection}. */
export class KafkaServer {
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  /** Every open socket, including drained ones still half-closed: server.close() waits for all of them. */
  private readonly sockets = new Set<Socket>();
  private nextId = 1;
  private bound: AddressInfo | undefined;
  private readonly limits: ConnectionLimits;

  constructor(
    private readonly options: ServerOptions,
    private readonly dispatch: Dispatcher,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: BrokerMetrics,
  ) {
    const budget = options.queuedMaxRequestBytes;
    this.limits = {
      ...options,
      requestMemory:
        options.requestMemory ?? (budget === undefined ? undefined : new RequestMemoryBudget(budget)),
    };
  }

  /** Request bytes reserved by connections right now (0 without a budget). */
  get requestMemoryInUse(): number {
    return this.limits.requestMemory?.inUse ?? 0;
  }

  /** The address actually bound (the real port when asked for port 0). */
  get address(): { host: string; port: number } {
    if (!this.bound) throw new Error('server is not listening; call start() first');
    return { host: this.bound.address, port: this.bound.port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    const server: Server = this.options.tls
      ? createTlsServer(this.options.tls, (socket) => this.accept(socket))
      : createServer({ noDelay: true }, (socket) => this.accept(socket));
    // Raw sockets are tracked from the first byte, so a TLS handshake that never ends cannot hold stop().
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', (err: Error, socket: Socket) => {
      this.log.warn(
        { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.message },
        'closing connection: TLS handshake failed (a plaintext client on a TLS listener?)',
      );
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        reject(
          new Error(
            `cannot listen on ${this.options.host}:${this.options.port}: ${err.message}` +
              ((err as NodeJS.ErrnoException).code === 'EADDRINUSE'
                ? ' (another broker is running there? pick another --port, or 0 for any free port)'
                : ''),
          ),
        );
      };
      server.once('error', onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error({ err }, 'server error'));
        this.bound = server.address() as AddressInfo;
        resolve(this.address);
      });
    });
  }

  /**
   * Stops accepting, lets every connection answer what it has in flight, and waits for peers to close
   * their side; whatever is still open when `graceMs` (on the clock) runs out is destroyed, so a peer
   * that never closes cannot hold the broker's shutdown.
   */
  async stop(graceMs = this.options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const drains = Promise.all([...this.connections].map((c) => c.drain()));
    let timer: { cancel(): void } | undefined;
    let expired = false;
    const expiry = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(() => {
        expired = true;
        resolve();
      }, graceMs);
    });
    try {
      await Promise.race([drains, expiry]);
      const reason = expired ? 'shutdown_timeout' : 'shutdown';
      for (const c of this.connections) c.close(reason);
      await Promise.race([closed, expiry]);
    } finally {
      timer?.cancel();
    }
    // Only the grace period running out is worth a warning: a socket destroyed a moment ago may still be
    // in `sockets` because its 'close' event comes a tick after the server's.
    const open = [...this.sockets].filter((s) => !s.destroyed);
    if (expired && open.length > 0) {
      this.log.warn(
        { sockets: open.length, graceMs },
        'destroying connections still open after the grace period',
      );
    }
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    const id = this.nextId++;
    const conn = new Connection(
      id,
      socket,
      this.dispatch,
      this.limits,
      this.clock,
      this.log,
      this.metrics,
      (c) => {
        this.connections.delete(c);
        this.metrics.connections.dec();
      },
    );
    this.options.onAccept?.(conn, socket);
    this.connections.add(conn);
    this.metrics.connections.inc();
    this.metrics.connectionsOpened.inc();
    this.log.debug({ conn: id, remote: conn.remote }, 'connection accepted');
  }
}
