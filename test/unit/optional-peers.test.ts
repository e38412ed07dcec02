/**
 * The optional integrations stay optional: what the main entry loads, followed
 * import by import through the compiled modules, never reaches carom/metrics,
 * carom/otel or their packages, and those entries load their packages only
 * when asked for.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** build/src, from build/test/unit. */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every `import … from '…'`, `export … from '…'`, bare `import '…'` and `import('…')` of a module. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** The packages a module loads as it is evaluated, following relative imports; `import()` calls apart. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    // Compiled TypeScript keeps `import('…')` only as a call: drop those before looking.
    const text = readFileSync(file, 'utf8').replace(/\bimport\s*\(\s*['"][^'"]+['"]\s*\)/g, '');
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (spec!.startsWith('.')) visit(join(dirname(file), spec!));
      else
        packages.add(
          spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!,
        );
    }
  };
  visit(entry);
  return { files, packages };
}

describe('optional peers', () => {
  it('the main entry never loads carom/metrics, carom/otel, prom-client or @opentelemetry/api', () => {
    const { files, packages } = staticGraph(join(SRC, 'index.js'));
    assert.ok(files.size > 20, 'the walk follows the imports');
    assert.ok(packages.has('ws'), 'the walk finds packages');
    for (const pkg of ['prom-client', '@opentelemetry/api']) assert.ok(!packages.has(pkg), pkg);
    for (const file of files) {
      assert.doesNotMatch(relative(SRC, file), /^(metrics|otel)\//, `${file} is loaded`);
    }
  });

  it('carom/metrics and carom/otel load their package only when called', () => {
    for (const [entry, pkg] of [
      ['metrics/index.js', 'prom-client'],
      ['otel/index.js', '@opentelemetry/api'],
    ] as const) {
      const { packages } = staticGraph(join(SRC, entry));
      assert.ok(!packages.has(pkg), `${entry} imports ${pkg} as it loads`);
      assert.match(readFileSync(join(SRC, entry), 'utf8'), new RegExp(`import\\('${pkg}'\\)`));
    }
  });
});
