/** Where a run ran: the machine, and the versions of carom and of what it is compared with. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The JSON's `machine` at the start (the run adds `loadAverageAtEnd`). */
export function machineOf(pinning: string): Record<string, unknown> & {
  cpuModel: string;
  cpuCount: number;
  node: string;
} {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg(),
    pinning,
  };
}

function packageVersion(root: string, name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** The commit, with `+dirty src` when src/ has uncommitted changes; undefined outside git. */
function gitCommit(root: string): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', 'src'], { cwd: root, encoding: 'utf8' });
  return r.stdout.trim() + (dirty.stdout.trim() ? '+dirty src' : '');
}

/** The JSON's `versions`: carom's (and its commit) and the packages' the contenders use. */
export function versionsOf(root: string): Record<string, string | undefined> {
  return {
    carom: (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
    ).version,
    caromCommit: gitCommit(root),
    ws: packageVersion(root, 'ws'),
    'socket.io': packageVersion(root, 'socket.io'),
    'socket.io-client': packageVersion(root, 'socket.io-client'),
    'class-validator': packageVersion(root, 'class-validator'),
    'class-transformer': packageVersion(root, 'class-transformer'),
  };
}
