/**
 * mfdag's version, from package.json: scripts/build.mjs defines `__MFDAG_VERSION__` for the
 * bundles and vitest.config.ts for the tests, so the number is written in one place.
 */
declare const __MFDAG_VERSION__: string;

export const VERSION: string = __MFDAG_VERSION__;
