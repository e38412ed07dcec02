/**
 * carom nodes as separate processes for the carom/redis tests: each runs
 * test/fixtures/redis-node.ts, is driven over IPC, and is ended by its PID.
 * Clients are `ws` sockets speaking the `carom` subprotocol, so each learns its
 * connection id from the welcome.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Client } from '../integration/helpers.js';
import { within } from './wait.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/redis-node.js', import.meta.url));

/** How a node reaches Redis: one server's URL, or a cluster's root nodes. */
export type NodeConfig = ({ url: string } | { rootNodes: { url: string }[] }) & {
  nodeId: string;
  prefix: string;
  /** The broker's `presenceTtlMs`; its default otherwise. */
  presenceTtlMs?: number;
  /** Runs the fixture's cluster-wide timed sender `clock`. */
  clock?: boolean;
};

/** One carom node in its own process. */
export class NodeProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: { result?: any; error?: string }) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly nodeId: string,
  ) {
    child.on('message', (m: { id?: number; result?: any; error?: string }) => {
      if (m.id === undefined) return;
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  /** Forks a node and waits until it listens (its broker has joined, or given up waiting). */
  static async start(config: NodeConfig): Promise<NodeProcess> {
    const child = fork(FIXTURE, [JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<{ port: number; nodeId: string }>((resolve, reject) => {
      child.on('message', (m: { ready?: { port: number; nodeId: string } }) => {
        if (m.ready) resolve(m.ready);
      });
      child.once('exit', (code) => reject(new Error(`node ${config.nodeId} exited with ${code}`)));
    });
    try {
      const { port, nodeId } = await within(ready, `node ${config.nodeId} to listen`, 10_000);
      return new NodeProcess(child, port, nodeId);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** The node's WebSocket URL. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Runs one op of the fixture; rejects with its error message. */
  async request(op: string, fields: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    const reply = new Promise<{ result?: any; error?: string }>((resolve) => {
      this.waiting.set(id, resolve);
    });
    this.child.send({ id, op, ...fields });
    const { result, error } = await within(reply, `${this.nodeId} ${op}`);
    if (error !== undefined) throw new Error(error);
    return result;
  }

  /** Kills the process at once (SIGKILL by PID: no close, no goodbye to Redis) and waits for its exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    process.kill(this.child.pid!, 'SIGKILL');
    await exited;
  }

  /** Closes the app, then makes sure the process is gone (SIGKILL by PID). */
  async end(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.request('close');
      await within(exited, `${this.nodeId} to exit`, 3000);
    } catch {
      process.kill(this.child.pid!, 'SIGKILL');
      await exited;
    }
  }
}

/** A client of one node, with its connection id (from the welcome). */
export interface NodeClient {
  readonly client: Client;
  readonly id: string;
}

/** Connects a `ws` client to a node, and reads its connection id; `user` names it to presence. */
export async function connectTo(node: NodeProcess, user?: string): Promise<NodeClient> {
  const url = user === undefined ? node.url : `${node.url}?user=${encodeURIComponent(user)}`;
  const ws = new WebSocket(url, 'carom');
  const client = new Client(ws);
  const welcome = await client.next((e) => e.event === 'carom.welcome');
  return { client, id: (welcome.data as { connection: string }).connection };
}

let requestId = 1;

/** Subscribes a client to `events` and waits for the ack. */
export async function subscribe(client: Client, ...events: string[]): Promise<void> {
  const id = requestId++;
  const reply = await client.request({ event: 'subscribe', data: { events }, id });
  if (reply.event !== 'ack')
    throw new Error(`subscribe ${events.join(', ')}: ${JSON.stringify(reply.data)}`);
}
