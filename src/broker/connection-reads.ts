/**
 * Socket reads into buffers the broker owns. Node allocates a fresh 64 KiB buffer for every read of a
 * server socket; at produce rates that external memory is what set off most of the broker's GC (see
 * framing.ts). Client sockets can read into a caller's buffer (`net.connect({ onread })`), but Node 20
 * offers no such option for accepted sockets, so this installs the same mechanism on one: the socket's
 * `onread` state (three internal symbols, found by their descriptions on a probe socket that was given
 * `onread`) and `useUserBuffer` on its handle, exactly what `net.Socket`'s constructor does. When any
 * of that is missing (another Node version, a TLS socket) it says so and the caller reads as usual.
 */
import { Socket } from 'node:net';

interface OnreadSymbols {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

/** Node's own onread symbols, or undefined when this Node keeps them elsewhere. */
const symbols: OnreadSymbols | undefined = (() => {
  // `onread` is accepted by the constructor, though typed (and documented) for connect() only.
  const options = { onread: { buffer: Buffer.alloc(1), callback: () => true } };
  const probe = new Socket(options as ConstructorParameters<typeof Socket>[0]);
  const byName = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]));
  probe.destroy();
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  return buffer && callback && generator ? { buffer, callback, generator } : undefined;
})();

interface UserBufferHandle {
  useUserBuffer?: (buf: Buffer) => void;
}

/**
 * Makes `socket` read into `target()` (asked again before every read) and report each read to
 * `onRead(bytes, buffer)` instead of emitting 'data'; false (nothing changed) when it cannot. Call it
 * before the first read, i.e. synchronously in the server's connection callback. pause() and resume()
 * keep working: with onread state set, Node stops and starts the handle's reading itself.
 */
export function readIntoOwnBuffers(
  socket: Socket,
  target: () => Buffer,
  onRead: (bytes: number, buffer: Buffer) => void,
): boolean {
  const handle = (socket as unknown as { _handle?: UserBufferHandle })._handle;
  if (
    !symbols ||
    (socket as { encrypted?: boolean }).encrypted ||
    typeof handle?.useUserBuffer !== 'function'
  )
    return false;
  const first = target();
  const state = socket as unknown as Record<symbol, unknown>;
  state[symbols.buffer] = first;
  state[symbols.generator] = target;
  state[symbols.callback] = (bytes: number, buffer: Buffer) => {
    onRead(bytes, buffer);
    return true; // keep reading; the connection pauses the socket itself when it must
  };
  handle.useUserBuffer(first);
  return true;
}
