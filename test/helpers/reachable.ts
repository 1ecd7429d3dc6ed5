import net from 'node:net';

/**
 * Why a local service the tests need cannot be used, or null when something accepts a TCP
 * connection at `url` (a connect is enough: the tests that need it fail clearly on their own if
 * it is the wrong thing). `name` and `envVar` only word the reason a skipped test prints.
 */
export async function serviceUnavailable(name: string, url: string, defaultPort: number, envVar: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || defaultPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    const fail = (why: string) => {
      socket.destroy();
      resolve(`${name} is not reachable at ${hostname}:${port || defaultPort} (${why}); start it or set ${envVar}`);
    };
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (err) => fail(err.message));
  });
}
