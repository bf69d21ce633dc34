/**
 * The floor for serving stored bytes: a server that does nothing but `fs.readSync` 1 MiB chunks of the
 * given files into two reused buffers and `socket.write`s them, to every client that connects, then
 * ends the connection. broker.bench.ts runs it on the segment files the broker just served and reports
 * the broker's CPU per GiB beside this one's.
 *
 *   node --import tsx bench/broker/floor-server.ts <file>...   (prints "listening on <port>")
 */
import fs from 'node:fs';
import net from 'node:net';

const CHUNK = 1024 * 1024;
const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: floor-server.ts <file>...\n');
  process.exit(2);
}

async function serve(socket: net.Socket): Promise<void> {
  // Two buffers: one is read into while the socket may still hold the other.
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  const writing: Array<Promise<void> | undefined> = [undefined, undefined];
  let turn = 0;
  for (const file of files) {
    const fd = fs.openSync(file, 'r');
    try {
      for (let position = 0; ; ) {
        await writing[turn];
        const n = fs.readSync(fd, buffers[turn], 0, CHUNK, position);
        if (n === 0) break;
        position += n;
        const chunk = buffers[turn].subarray(0, n);
        writing[turn] = new Promise((resolve, reject) =>
          socket.write(chunk, (err) => (err ? reject(err) : resolve())),
        );
        turn ^= 1;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  await Promise.all(writing);
  socket.end();
}

const server = net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  serve(socket).catch(() => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on ${(server.address() as net.AddressInfo).port}\n`);
});
