import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../flow/clock.js';
import { Connection, type ConnectionLimits, type Dispatcher } from './connection.js';
import type { BrokerMetrics } from './metrics.js';

export interface ServerOptions extends ConnectionLimits {
  host: string;
  port: number;
}

/** The TCP side of the broker: accepts connections and hands each a {@link Connection}. */
export class KafkaServer {
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private bound: AddressInfo | undefined;

  constructor(
    private readonly options: ServerOptions,
    private readonly dispatch: Dispatcher,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** The address actually bound (the real port when asked for port 0). */
  get address(): { host: string; port: number } {
    if (!this.bound) throw new Error('server is not listening; call start() first');
    return { host: this.bound.address, port: this.bound.port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
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
   * Stops accepting, lets every connection answer what it has in flight (up to `graceMs`), then
   * closes whatever is left.
   */
  async stop(graceMs = 5_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const drains = Promise.all([...this.connections].map((c) => c.drain()));
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, graceMs);
    });
    await Promise.race([drains, timeout]);
    timer?.cancel();
    for (const c of this.connections) c.close('shutdown_timeout');
    await closed;
  }

  private accept(socket: Socket): void {
    const id = this.nextId++;
    const conn = new Connection(
      id,
      socket,
      this.dispatch,
      this.options,
      this.clock,
      this.log,
      this.metrics,
      (c) => {
        this.connections.delete(c);
        this.metrics.connections.dec();
      },
    );
    this.connections.add(conn);
    this.metrics.connections.inc();
    this.metrics.connectionsOpened.inc();
    this.log.debug({ conn: id, remote: conn.remote }, 'connection accepted');
  }
}
