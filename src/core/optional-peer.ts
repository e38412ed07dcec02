import { appError } from './errors.js';
import { describe } from './guard.js';

/**
 * Loads an optional peer dependency once, on first use, for an entry point of
 * carom (`carom/metrics`, `carom/otel`): a package that is missing is a
 * `ConfigurationError` that says what to install, and the next call tries again.
 * `load` is the entry's own `import('pkg')`, so bundlers and type checks see it.
 */
export function optionalPeer<T extends object>(
  entry: string,
  pkg: string,
  load: () => Promise<T & { default?: T }>,
): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().then(
      // A CommonJS package imported from an ES module: its exports are the default.
      (mod) => mod.default ?? mod,
      (err: unknown) => {
        loaded = undefined;
        throw appError('CAROM_ERR_PEER_MISSING', entry, pkg, describe(err));
      },
    );
    return loaded;
  };
}
