/**
 * What grew between two V8 heap snapshots (from
 * `npm run bench -- --scenario idle --heap-snapshot DIR`), by constructor or
 * kind: count and self size, and both per connection.
 *
 *   node build/bench/heap-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top N]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/** Count and self size by `type:name` (strings and numbers grouped by kind). */
function tally(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + fType]!]!;
    const name = snap.strings[snap.nodes[i + fName]!]!;
    const key = STRING_TYPES.has(type)
      ? '(strings)'
      : type === 'number'
        ? '(heap numbers)'
        : type === 'object' || type === 'closure'
          ? `${type} ${name}`
          : `(${type}) ${name.length > 40 ? `${name.slice(0, 40)}…` : name}`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + fSize]!;
    out.set(key, entry);
  }
  return out;
}

const args = process.argv.slice(2);
let per = 1;
let top = 30;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--per') per = Number(args[++i]) || 1;
  else if (args[i] === '--top') top = Number(args[++i]) || top;
  else files.push(args[i]!);
}
if (files.length !== 2) {
  process.stderr.write(
    'usage: heap-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top N]\n',
  );
  process.exit(2);
}

const before = tally(files[0]!);
const after = tally(files[1]!);
const rows: Array<{ key: string; count: number; size: number }> = [];
let totalSize = 0;
for (const [key, a] of after) {
  const b = before.get(key) ?? { count: 0, size: 0 };
  rows.push({ key, count: a.count - b.count, size: a.size - b.size });
  totalSize += a.size - b.size;
}
for (const [key, b] of before) {
  if (!after.has(key)) {
    rows.push({ key, count: -b.count, size: -b.size });
    totalSize -= b.size;
  }
}
rows.sort((x, y) => y.size - x.size);
process.stdout.write(
  `heap growth ${(totalSize / 1024).toFixed(0)} KiB, ${(totalSize / per).toFixed(0)} B per ${per > 1 ? 'connection' : 'unit'}\n` +
    `${'B/conn'.padStart(8)} ${'objs/conn'.padStart(9)}  what\n`,
);
for (const r of rows.slice(0, top)) {
  process.stdout.write(
    `${(r.size / per).toFixed(0).padStart(8)} ${(r.count / per).toFixed(2).padStart(9)}  ${r.key}\n`,
  );
}
