import net, { type AddressInfo } from 'node:net';

/**
 * The reverse proxy in front of N API processes, cut down to what the scale-out test needs: a TCP forwarder
 * on loopback that sends every new connection to one backend port, which the test switches as a proxy's
 * health check would when a backend dies. Stations are configured with its URL, never an API process's.
 *
 * `holdAfter(n)` lets n more bytes from clients through and then holds the rest: an upload stopped at a known
 * point, so the test can kill the API mid-upload without racing a loopback transfer.
 */
export class Balancer {
  private backend: number;
  private budget = Number.POSITIVE_INFINITY;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.forward(client));

  constructor(backendPort: number) {
    this.backend = backendPort;
  }

  /** Starts listening on a free loopback port; returns the base URL stations use. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** New connections go to `port` from now on, with nothing held. */
  point(port: number): void {
    this.backend = port;
    this.budget = Number.POSITIVE_INFINITY;
  }

  holdAfter(bytes: number): void {
    this.budget = bytes;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket): void {
    const upstream = net.connect(this.backend, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    // Either side gone ends both: the client sees its request cut, as behind a real proxy whose backend died.
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const allowed = Math.min(chunk.length, this.budget);
      if (allowed > 0) upstream.write(chunk.subarray(0, allowed));
      this.budget -= allowed;
      // Held: the rest is never sent; the test ends this connection by killing the backend.
      if (allowed < chunk.length) client.pause();
    });
  }
}
