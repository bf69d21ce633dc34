import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../flow/clock.js';
import { readIntoOwnBuffers } from './connection-reads.js';
import { type FrameBuffers, FrameError, FrameReader } from './framing.js';
import type { BrokerMetrics } from './metrics.js';
import type { RequestMemoryBudget } from './request-memory.js';

/** What a dispatcher gives back for one request. */
export interface DispatchOutcome {
  /**
   * Encoded response including its size prefix, or null when the client expects none (acks=0). An
   * array is one frame in pieces (encoded fields and record sets by reference), written with one writev.
   */
  response: Buffer | Buffer[] | null;
  /** Stop reading this connection for this long after the response is sent (Kafka's KIP-219 muting). */
  muteMs?: number;
  /** Runs once the response's bytes are written (or the connection is gone): frees pooled buffers. */
  sent?: () => void;
  /** Nothing refers to the request frame's bytes any more (Produce: its records are stored), so a pooled frame buffer may be reused. */
  requestReleased?: boolean;
  /** Close the connection once this response is written (failed SASL authentication), with this reason. */
  closeAfter?: string;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** Aborted when the connection closes or the broker drains: long-polls stop waiting. */
  readonly signal: AbortSignal;
  /**
   * Caps the size of the request frames read from now on (`source` says why, in the log line of a
   * refused one); undefined restores --max-request-bytes. The security layer caps frames before SASL
   * authentication, as Kafka does.
   */
  limitFrames?(maxBytes: number | undefined, source?: string): void;
}

export type Dispatcher = (frame: Buffer, conn: ConnectionInfo) => Promise<DispatchOutcome> | DispatchOutcome;

/** Thrown by a dispatcher to close the connection the way Kafka does (unknown API, undecodable request). */
export class CloseConnection extends Error {
  override name = 'CloseConnection';
}

export interface ConnectionLimits {
  maxRequestBytes: number;
  maxInFlight: number;
  idleMs: number;
  /** Recycled buffers for reassembling large request frames (given back when the outcome says so). */
  frameBuffers?: FrameBuffers;
  /** A frame that has started to arrive must be complete within this (while the broker is reading). */
  frameReadTimeoutMs?: number;
  /** Shared by every connection: request bytes held at once (see request-memory.ts). */
  requestMemory?: RequestMemoryBudget;
}

/** How long a drained connection waits for the client to close its side before it is destroyed. */
const SHUTDOWN_LINGER_MS = 1_000;

interface Slot {
  done: boolean;
  outcome?: DispatchOutcome;
  /** Reserved from the request memory budget until the response is written. */
  reservedBytes: number;
}

/**
 * One client connection. Requests are dispatched as soon as they are read (handlers may be async and
 * finish out of order) but answered strictly in request order, as the protocol requires. When
 * `maxInFlight` requests are pending, or the connection is muted by a throttle, or the socket's write
 * buffer is full, it stops reading: TCP flow control then pushes back on the client.
 */
export class Connection implements ConnectionInfo {
  readonly remote: string;
  private readonly reader: FrameReader;
  private readonly queue: Slot[] = [];
  private readonly abort = new AbortController();
  private paused = false;
  private mutedUntil = 0;
  private muteTimer: Timer | undefined;
  private writeBlocked = false;
  private draining = false;
  private closed = false;
  private lastActivity: number;
  private idleTimer: Timer | undefined;
  private drainWaiters: Array<() => void> = [];
  /** Reserved for the frame at the head of the reader, before its body has arrived. */
  private reservedForNext = 0;
  private waitingForMemory = false;
  private readonly wakeOnMemory = () => {
    this.waitingForMemory = false;
    this.pump();
  };
  /** When the partial frame in the reader began to arrive (or reading resumed), for the frame deadline. */
  private partialSince = 0;
  private frameTimer: Timer | undefined;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly dispatch: Dispatcher,
    private readonly limits: ConnectionLimits,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: BrokerMetrics,
    private readonly onClosed: (conn: Connection) => void,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.reader = new FrameReader(limits.maxRequestBytes, limits.frameBuffers);
    this.lastActivity = clock.now();
    socket.setNoDelay(true);
    const ownBuffers = readIntoOwnBuffers(
      socket,
      () => this.reader.readTarget(),
      (bytes, buffer) => this.onRead(bytes, buffer),
    );
    if (ownBuffers)
      socket.resume(); // flowing, so the end of input is still noticed
    else socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.pump();
    });
    socket.on('error', (err) =>
      this.log.debug({ conn: id, remote: this.remote, err: err.message }, 'socket error'),
    );
    socket.on('close', () => {
      if (!this.closed) this.metrics.connectionsClosed.inc({ reason: 'client' });
      this.finish();
    });
    this.armIdleTimer(limits.idleMs);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Requests read and not yet answered. */
  get inFlight(): number {
    return this.queue.length;
  }

  get isReading(): boolean {
    return !this.paused;
  }

  limitFrames(maxBytes: number | undefined, source?: string): void {
    this.reader.limit(maxBytes, source);
  }

  /** Stops reading new requests, answers those in flight, then ends the connection. */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.draining = true;
    this.abort.abort(new Error('broker stopping'));
    this.pump();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.maybeFinishDrain();
    });
  }

  /** Closes at once, dropping anything in flight. */
  close(reason: string): void {
    if (this.closed) return;
    this.metrics.connectionsClosed.inc({ reason });
    this.socket.destroy();
    this.finish();
  }

  private onData(chunk: Buffer): void {
    if (!this.noteInput(chunk.length)) return;
    this.reader.push(chunk);
    this.pump();
  }

  /** `bytes` were read into `buffer`, a buffer the reader lent the socket (see connection-reads.ts). */
  private onRead(bytes: number, buffer: Buffer): void {
    if (!this.noteInput(bytes)) return;
    this.reader.received(bytes, buffer);
    this.pump();
  }

  /** Counts input and notes the activity; false when the connection is shutting down (input discarded). */
  private noteInput(bytes: number): boolean {
    this.metrics.bytesIn.inc(bytes);
    if (this.closed) return false;
    this.lastActivity = this.clock.now();
    if (this.reader.buffered === 0) this.partialSince = this.lastActivity;
    return true;
  }

  /** Starts every buffered request the limits allow, then pauses or resumes the socket accordingly. */
  private pump(): void {
    while (!this.closed && !this.draining && this.queue.length < this.limits.maxInFlight && !this.isMuted()) {
      let frame: Buffer | null;
      try {
        if (!this.reserveNextFrame()) break;
        frame = this.reader.next();
      } catch (err) {
        const message = err instanceof FrameError ? err.message : String(err);
        this.log.warn(
          { conn: this.id, remote: this.remote, reason: message },
          'closing connection: bad frame',
        );
        this.close('bad_frame');
        return;
      }
      if (!frame) break;
      const reserved = this.reservedForNext;
      this.reservedForNext = 0;
      if (this.reader.buffered > 0) this.partialSince = this.clock.now();
      this.start(frame, reserved, this.reader.takePooled());
    }
    if (this.closed) return;
    const canRead =
      !this.draining &&
      this.queue.length < this.limits.maxInFlight &&
      !this.isMuted() &&
      !this.writeBlocked &&
      !this.waitingForMemory;
    if (canRead && this.paused) {
      this.paused = false;
      this.partialSince = this.clock.now(); // the deadline counts only time the broker was reading
      this.socket.resume();
    } else if (!canRead && !this.paused) {
      this.paused = true;
      this.metrics.connectionPauses.inc();
      this.socket.pause();
    }
    this.armFrameTimer();
  }

  /**
   * Reserves the head frame's size from the shared budget once its prefix is readable; false (and the
   * connection waits to be woken) when the budget is spent. Throws a FrameError for an invalid size.
   */
  private reserveNextFrame(): boolean {
    const budget = this.limits.requestMemory;
    if (!budget || this.reservedForNext > 0) return true;
    const size = this.reader.nextSize();
    if (size === null) return true;
    if (!budget.tryReserve(4 + size, this.wakeOnMemory)) {
      if (!this.waitingForMemory) {
        this.metrics.requestMemoryWaits.inc();
        this.log.debug({ conn: this.id, inUse: budget.inUse }, 'request memory budget spent; not reading');
      }
      this.waitingForMemory = true;
      return false;
    }
    this.reservedForNext = 4 + size;
    return true;
  }

  /** Closes a connection whose partial frame has not completed in time while the broker was reading. */
  private armFrameTimer(): void {
    const timeoutMs = this.limits.frameReadTimeoutMs;
    // Not while paused: the broker is not reading then, and resuming re-arms from that moment.
    if (!timeoutMs || this.frameTimer || this.closed || this.paused || this.reader.buffered === 0) return;
    const wait = Math.max(1, this.partialSince + timeoutMs - this.clock.now());
    this.frameTimer = this.clock.setTimeout(() => {
      this.frameTimer = undefined;
      if (this.closed || this.reader.buffered === 0) return;
      if (!this.paused && this.clock.now() - this.partialSince >= timeoutMs) {
        this.log.warn(
          { conn: this.id, remote: this.remote, bufferedBytes: this.reader.buffered, timeoutMs },
          'closing connection: a request frame did not complete in time (--frame-read-timeout-ms)',
        );
        this.close('frame_timeout');
        return;
      }
      this.armFrameTimer();
    }, wait);
  }

  private start(frame: Buffer, reservedBytes: number, pooled: Buffer | undefined): void {
    const slot: Slot = { done: false, reservedBytes };
    this.queue.push(slot);
    let pending: Promise<DispatchOutcome> | DispatchOutcome;
    try {
      pending = this.dispatch(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    Promise.resolve(pending).then(
      (outcome) => {
        // A failed request may have left work behind that still reads its frame: only a handled one gives it back.
        if (pooled && outcome.requestReleased) this.limits.frameBuffers?.give(pooled);
        slot.done = true;
        slot.outcome = outcome;
        this.flush();
      },
      (err) => this.fail(err),
    );
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    if (err instanceof CloseConnection) {
      this.log.warn({ conn: this.id, remote: this.remote, reason: err.message }, 'closing connection');
      this.close('protocol');
    } else {
      this.log.error({ conn: this.id, remote: this.remote, err }, 'request failed; closing connection');
      this.close('handler_error');
    }
  }

  /** Writes every finished response at the head of the queue, in request order. */
  private flush(): void {
    if (this.closed) return;
    while (this.queue.length > 0 && this.queue[0].done) {
      const { outcome, reservedBytes } = this.queue.shift()!;
      this.limits.requestMemory?.release(reservedBytes);
      if (outcome?.response) {
        if (!this.write(outcome.response, outcome.sent)) this.writeBlocked = true;
        this.lastActivity = this.clock.now();
      } else outcome?.sent?.();
      if (outcome?.muteMs && outcome.muteMs > 0) this.mute(outcome.muteMs);
      if (outcome?.closeAfter) {
        this.metrics.connectionsClosed.inc({ reason: outcome.closeAfter });
        this.endAfterWrites();
        return;
      }
    }
    this.maybeFinishDrain();
    this.pump();
  }

  /**
   * Writes one response frame; a frame in pieces goes out corked, so the socket makes one writev of
   * them. `sent` runs when the last piece's write completes (successfully or not).
   */
  private write(response: Buffer | Buffer[], sent: (() => void) | undefined): boolean {
    const done = sent ? () => sent() : undefined;
    if (Buffer.isBuffer(response)) {
      this.metrics.bytesOut.inc(response.length);
      return this.socket.write(response, done);
    }
    let bytes = 0;
    let ok = true;
    this.socket.cork();
    for (let i = 0; i < response.length; i++) {
      bytes += response[i].length;
      ok = this.socket.write(response[i], i === response.length - 1 ? done : undefined);
    }
    this.socket.uncork();
    this.metrics.bytesOut.inc(bytes);
    return ok;
  }

  private isMuted(): boolean {
    return this.mutedUntil > this.clock.now();
  }

  private mute(ms: number): void {
    const until = this.clock.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    this.muteTimer?.cancel();
    this.muteTimer = this.clock.setTimeout(() => {
      this.muteTimer = undefined;
      this.pump();
    }, ms);
  }

  private maybeFinishDrain(): void {
    if (!this.draining || this.queue.length > 0 || this.closed) return;
    // Half-close after the last response. Keep reading (and discarding) so unread input cannot turn the
    // close into a reset that would destroy those responses, and give a client that never closes
    // its side a moment before the socket is destroyed.
    this.metrics.connectionsClosed.inc({ reason: 'shutdown' });
    this.endAfterWrites();
  }

  /** Half-closes once written responses are out, and destroys the socket if the client lingers. */
  private endAfterWrites(): void {
    this.socket.resume();
    this.socket.end();
    const linger = this.clock.setTimeout(() => this.socket.destroy(), SHUTDOWN_LINGER_MS);
    this.socket.once('close', () => linger.cancel());
    this.finish();
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = this.clock.setTimeout(() => this.checkIdle(), ms);
  }

  /** One timer per idle period: if there was activity since, re-arm for the remainder. */
  private checkIdle(): void {
    if (this.closed) return;
    const idleFor = this.clock.now() - this.lastActivity;
    if (this.queue.length === 0 && idleFor >= this.limits.idleMs) {
      this.log.info({ conn: this.id, remote: this.remote, idleMs: idleFor }, 'closing idle connection');
      this.close('idle');
      return;
    }
    this.armIdleTimer(this.queue.length > 0 ? this.limits.idleMs : this.limits.idleMs - idleFor);
  }

  /** A closed connection gives back its partial frame's reservation and those of unanswered requests. */
  private releaseMemory(): void {
    const budget = this.limits.requestMemory;
    if (!budget) return;
    budget.forget(this.wakeOnMemory);
    let held = this.reservedForNext;
    this.reservedForNext = 0;
    for (const slot of this.queue) {
      held += slot.reservedBytes;
      slot.reservedBytes = 0;
    }
    budget.release(held);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.idleTimer?.cancel();
    this.frameTimer?.cancel();
    this.releaseMemory();
    this.reader.discard();
    this.muteTimer?.cancel();
    if (!this.abort.signal.aborted) this.abort.abort(new Error('connection closed'));
    for (const w of this.drainWaiters.splice(0)) w();
    this.onClosed(this);
  }
}
