/**
 * Where mfdag lives: the one canonical name of the action repository (the npm package is `mfdag`).
 * package.json, action.yml, the README and SECURITY.md say the same; __tests__/release.test.ts
 * keeps them in agreement.
 */
export const ACTION_REPOSITORY = "mfdag-dev/mfdag-action";

export const PROJECT_URL = `https://github.com/${ACTION_REPOSITORY}`;

/** Where bugs are reported: package.json `bugs.url`. */
export const ISSUES_URL = `${PROJECT_URL}/issues`;
