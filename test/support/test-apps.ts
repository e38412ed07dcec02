/**
 * The test-app factory that unit test files share: each file names its
 * defaults once, and every app a test makes is closed after that test.
 */
import { afterEach } from 'node:test';
import { createTestApp, type TestApp, type TestAppOptions } from '../../src/testing/index.js';

/** Makes a test app from a file's defaults and a test's own options, which win. */
export type MakeTestApp = (options?: TestAppOptions) => Promise<TestApp>;

/**
 * Returns `make(options)` for one test file: `createTestApp({ ...defaults,
 * ...options })`, closing every app it made after each test. Call it once, at
 * the top level of the file, so that the `afterEach` covers every test there.
 */
export function testApps(defaults: TestAppOptions = {}): MakeTestApp {
  const apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });
  return async (options = {}) => {
    const t = await createTestApp({ ...defaults, ...options });
    apps.push(t);
    return t;
  };
}
