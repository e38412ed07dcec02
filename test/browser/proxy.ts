/**
 * A TCP proxy between a page and an example server, for network trouble the
 * server does not cause: it can cut every connection and turn new ones away
 * (a phone off the network), and let requests through while losing every
 * byte on the way back (answers lost in flight).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** What the proxy does with traffic now. */
type Mode = 'pass' | 'down' | 'deaf';

/** A proxy on 127.0.0.1 to `127.0.0.1:target`; `port` is its own. */
export class FlakyProxy {
  private mode: Mode = 'pass';
  private readonly pairs = new Set<{ client: Socket; server: Socket }>();

  private constructor(
    private readonly server: Server,
    private readonly target: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy to `target` on a free port. */
  static async start(target: number): Promise<FlakyProxy> {
    const server = createServer();
    const proxy = new FlakyProxy(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The proxy's port: pages open `http://127.0.0.1:PORT/`. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections open through the proxy now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Cuts every connection, and turns new ones away until {@link up}. */
  down(): void {
    this.mode = 'down';
    for (const pair of [...this.pairs]) this.cut(pair);
  }

  /** Lets connections through again. */
  up(): void {
    this.mode = 'pass';
  }

  /** From now on, what the server sends is lost; what the client sends still arrives. */
  deaf(): void {
    this.mode = 'deaf';
  }

  /** Stops the proxy and cuts whatever is open. */
  async close(): Promise<void> {
    this.mode = 'down';
    for (const pair of [...this.pairs]) this.cut(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    const server = connect(this.target, '127.0.0.1');
    const pair = { client, server };
    this.pairs.add(pair);
    client.on('data', (chunk) => {
      if (this.mode !== 'down') server.write(chunk);
    });
    server.on('data', (chunk) => {
      if (this.mode === 'pass') client.write(chunk);
    });
    const end = () => this.cut(pair);
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  }

  private cut(pair: { client: Socket; server: Socket }): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.server.destroy();
  }
}
