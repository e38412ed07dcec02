/**
 * Removes build/, so that the next build holds only what the sources make now:
 * a file deleted from src/ leaves its compiled JS behind otherwise, and
 * `npm publish` (prepublishOnly) would ship it.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'build'), {
  recursive: true,
  force: true,
});
