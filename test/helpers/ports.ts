import { createServer, type Socket } from 'node:net';

export { freePort } from '../../scripts/ports.js';

/**
 * An address where no Temporal can ever answer: a port this process holds for as long as the test
 * needs it, dropping every connection. (A port found free and released can be taken meanwhile by
 * another test's dev server on a busy machine; then "Temporal is down" is not true any more.)
 */
export async function deadAddress(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
