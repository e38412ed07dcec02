/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`, e.g. from
 * `npm run bench -- --cpu-prof DIR ...`): the functions with the most self
 * time, and self time by area (carom's source, ws, class-validator, node
 * internals, GC, idle).
 *
 *   node build/bench/profile-summary.js FILE.cpuprofile... [--top N]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, unattributed)';
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1]!;
  if (url.includes('/build/src/')) return 'carom src';
  if (url.includes('/build/bench/')) return 'bench harness';
  if (url.startsWith('node:')) return 'node internals';
  return url ? 'other' : 'native/builtin';
}

const args = process.argv.slice(2);
let top = 25;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]) || top;
  else files.push(args[i]!);
}
if (files.length === 0) {
  process.stderr.write('usage: profile-summary.js FILE.cpuprofile... [--top N]\n');
  process.exit(2);
}

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node || dt < 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const where = url
      ? `${url.replace(/^.*\/(build|node_modules)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${name}  ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const a = area(url, name);
    byArea.set(a, (byArea.get(a) ?? 0) + dt);
    total += dt;
  }
}

const busy = total - (byArea.get('idle') ?? 0);
const pct = (us: number): string => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(6)}ms`;
process.stdout.write(
  `${files.map((f) => path.basename(f)).join(', ')}: ${(total / 1000).toFixed(0)} ms sampled, ` +
    `${(busy / 1000).toFixed(0)} ms not idle (percentages are of that)\n\nself time by area\n`,
);
for (const [a, us] of [...byArea].filter(([a]) => a !== 'idle').sort((x, y) => y[1] - x[1])) {
  process.stdout.write(`${ms(us)} ${pct(us)}  ${a}\n`);
}
process.stdout.write(`\ntop ${top} functions by self time\n`);
for (const [key, us] of [...byFunction]
  .filter(([k]) => !k.startsWith('(idle)'))
  .sort((x, y) => y[1] - x[1])
  .slice(0, top)) {
  process.stdout.write(`${ms(us)} ${pct(us)}  ${key}\n`);
}
