import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { BadRequest, LabConfigError, show } from './validate.js';

/**
 * The HTTP shell every lab service shares: Fastify on 127.0.0.1 by default, JSON bodies that may be
 * empty (the lab's `curl -X POST .../stop` sends none), a 400 with a reason for anything malformed, and
 * a bearer token on every mutating request once the service listens beyond loopback.
 */

export interface HttpOptions {
  host: string;
  port: number;
  /** Required when `host` is not a loopback address; checked on POST/PUT/PATCH/DELETE. */
  token?: string;
}

export const TOKEN_ENV = 'SLUICE_TOKEN';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Checks the bind/token combination before anything listens. */
export function checkBind(service: string, options: HttpOptions): void {
  if (!isLoopback(options.host) && !options.token) {
    throw new LabConfigError(
      `${service}: listening on ${options.host} exposes it beyond this machine; give a token with --token <secret> ` +
        `or ${TOKEN_ENV}=<secret> (clients then send "Authorization: Bearer <secret>"), or bind 127.0.0.1`,
    );
  }
  if (options.token !== undefined && options.token.length < 8) {
    throw new LabConfigError(`${service}: the token must be at least 8 characters long`);
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = Buffer.from(m ? m[1] : '');
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The host part of a Host header or an origin's host (`[::1]:8000` -> `::1`, `localhost:8000` -> `localhost`). */
function hostnameOf(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(hostHeader);
  if (bracketed) return bracketed[1];
  return hostHeader.replace(/:\d*$/, '');
}

function loopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false; // "null" (a sandboxed frame, a file: page) and garbage are foreign
  }
}

/**
 * A lab on loopback has no token, so the browser is the attacker's way in: a page on another site can
 * POST to 127.0.0.1 (Origin says where it came from), and DNS rebinding makes a foreign name resolve to
 * 127.0.0.1 (Host still carries that name). Only loopback names and loopback origins are served: the
 * lab's own pages (the dashboard on :8010) and curl, which sends no Origin.
 */
function foreignPageGuard(service: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const host = req.headers.host;
    if (host !== undefined && !isLoopback(hostnameOf(host))) {
      reply.code(403).send({
        error: 'forbidden_host',
        message:
          `the ${service} listens on loopback and answers only requests addressed to localhost, 127.0.0.1 ` +
          `or [::1] (got Host ${show(host)}); to serve other names, bind an address with --host and --token`,
      });
      return reply;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !loopbackOrigin(origin)) {
      reply.code(403).send({
        error: 'forbidden_origin',
        message:
          `the ${service} answers only its own pages, not a page from ${show(origin)}; ` +
          'open the dashboard from the lab (http://127.0.0.1:8010) or call it from curl',
      });
      return reply;
    }
  };
}

export function createHttp(service: string, options: HttpOptions): FastifyInstance {
  checkBind(service, options);
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const parseJson = (_req: FastifyRequest, body: string, done: (err: Error | null, v?: unknown) => void) => {
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch (err) {
      done(
        new BadRequest(`the body is not valid JSON (${(err as Error).message}); send e.g. '{"count": 10}'`),
      );
    }
  };
  // JSON only, and only when the request says so: text/plain and form bodies are what a foreign web page
  // can POST without a CORS preflight, so parsing them as JSON would let any page drive the lab.
  // Every other content type is a 415 (see the error handler).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  if (isLoopback(options.host)) app.addHook('onRequest', foreignPageGuard(service));

  if (options.token) {
    const token = options.token;
    app.addHook('onRequest', async (req, reply) => {
      if (!MUTATING.has(req.method)) return;
      if (!tokenMatches(token, req.headers.authorization)) {
        reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({
            error: 'unauthorized',
            message: `${req.method} ${req.url} needs "Authorization: Bearer <token>"`,
          });
        return reply;
      }
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 415) {
      reply.code(415).send({
        error: 'unsupported_media_type',
        message:
          `the lab reads JSON bodies only (got Content-Type ${show(req.headers['content-type'] ?? 'none')}); ` +
          `send -H 'Content-Type: application/json'`,
      });
      return;
    }
    if (status >= 500) {
      reply.code(status).send({ error: 'internal', message: err.message });
      return;
    }
    reply
      .code(status)
      .send({ error: status === 400 ? 'bad_request' : (err.code ?? 'error'), message: err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${req.method} ${req.url.split('?')[0]} on the ${service}`,
    });
  });
  return app;
}

/** Listens and returns the bound address (the real port when asked for port 0). */
export async function listen(
  app: FastifyInstance,
  options: HttpOptions,
): Promise<{ host: string; port: number }> {
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(options.host, options.port);
    throw err;
  }
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('HTTP server has no TCP address');
  return { host: options.host, port: addr.port };
}

/** The refusal for a port already taken, saying what to do instead of Node's bare EADDRINUSE. */
export function portTaken(host: string, port: number): LabConfigError {
  return new LabConfigError(
    `a lab (or something else) already listens on ${host}:${port}; stop it, or use other ports ` +
      '(sluice lab --base-port B, or --port for a single service)',
  );
}

export function urlOf(address: { host: string; port: number }): string {
  const host = address.host === '0.0.0.0' || address.host === '::' ? '127.0.0.1' : address.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** A 429 in the lesson's shape: Retry-After in whole seconds, the reason in the body. */
export function tooManyRequests(reply: FastifyReply, retryAfterMs: number, body: Record<string, unknown>) {
  return reply
    .code(429)
    .header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))))
    .send({ error: 'too_many_requests', retry_after_ms: retryAfterMs, ...body });
}

/** What a lab service runs beside its HTTP server, and how it shuts them down. */
export interface ServiceParts<Stopped> {
  app: FastifyInstance;
  /** Stops the service's worker (bounded by `timeoutMs` where it takes one); runs before the server closes. */
  stop(timeoutMs?: number): Promise<Stopped>;
  /** Frees what the service owns (tracing, a client), last. */
  release(): unknown;
}

/**
 * Runs `start` (which listens and returns the bound address) and gives the service's URL and its
 * close(): the worker first (its stop is bounded, and the server stays readable while it drains), then
 * the server, then what it owns. When `start` fails, the same shutdown runs and the error is rethrown.
 */
export async function startService<Stopped>(
  parts: ServiceParts<Stopped>,
  start: () => Promise<{ host: string; port: number }>,
): Promise<{ url: string; close(timeoutMs?: number): Promise<Stopped> }> {
  try {
    const address = await start();
    return {
      url: urlOf(address),
      async close(timeoutMs?: number) {
        const stopped = await parts.stop(timeoutMs);
        await parts.app.close();
        await parts.release();
        return stopped;
      },
    };
  } catch (err) {
    await parts.app.close().catch(() => {});
    await parts.stop().catch(() => {});
    await parts.release();
    throw err;
  }
}
