/**
 * Real Redis servers for the carom/redis tests: Debian's `redis-server`
 * (scripts/ensure-redis.sh installs it) on 127.0.0.1, on a port the test picks
 * free, with no persistence and a temp dir of its own. Every server is ended
 * by its PID; waits are bounded.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A port nobody listens on now (the OS picks it; the server then binds it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Answers once `redis-cli ping` on `port` says PONG; fails after `ms`. */
async function answering(port: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1000 });
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`redis-server on ${port} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once nothing accepts connections on `port` any more. */
async function refusing(port: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (!open) return;
    if (Date.now() > deadline) throw new Error(`port ${port} still open after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One redis-server process, which a test can stop and start again on the same port. */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly extra: readonly string[],
  ) {}

  /** Starts a server on a free port and waits until it answers. */
  static async start(extra: readonly string[] = []): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'carom-redis-'));
    const server = new RedisServer(await freePort(), dir, extra);
    await server.restart();
    return server;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running server's PID. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server (again) on its port, and waits until it answers. */
  async restart(): Promise<void> {
    if (this.child !== undefined) throw new Error('redis-server is running already');
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      ...this.extra,
    ];
    const child = spawn('redis-server', args, { cwd: this.dir, stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await answering(this.port);
  }

  /** Kills the server (SIGKILL by PID: no goodbye to its clients) and waits until its port refuses. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    this.child = undefined;
    await refusing(this.port);
  }

  /** Stops the server and removes its dir. */
  async end(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of three masters, no replicas, slots split by `redis-cli --cluster create`. */
export class RedisCluster {
  private constructor(readonly servers: readonly RedisServer[]) {}

  /** Starts three cluster-enabled servers and makes them one cluster; waits until it is `ok`. */
  static async start(): Promise<RedisCluster> {
    const servers: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        servers.push(
          await RedisServer.start([
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '2000',
          ]),
        );
      }
      await run(
        'redis-cli',
        ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-yes'],
        { timeout: 20_000 },
      );
      const cluster = new RedisCluster(servers);
      await cluster.settled();
      return cluster;
    } catch (err) {
      for (const s of servers) await s.end();
      throw err;
    }
  }

  /** Kills every master by its PID (the cluster is down) and waits until their ports refuse. */
  async stop(): Promise<void> {
    for (const s of this.servers) await s.stop();
  }

  /**
   * Starts every master again on its port, empty (nothing is saved) but with
   * its slots (`nodes.conf` stays in its dir), and waits until the cluster is `ok`.
   */
  async restart(): Promise<void> {
    for (const s of this.servers) await s.restart();
    await this.settled();
  }

  /** The root nodes, as `createCluster` takes them. */
  get rootNodes(): { url: string }[] {
    return this.servers.map((s) => ({ url: s.url }));
  }

  /** Waits until every master says `cluster_state:ok` (slots spread and gossip done). */
  private async settled(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      let ok = 0;
      for (const s of this.servers) {
        const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) ok++;
      }
      if (ok === this.servers.length) return;
      if (Date.now() > deadline) throw new Error('the Redis Cluster did not settle');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends every server by its PID. */
  async end(): Promise<void> {
    for (const s of this.servers) await s.end();
  }
}
