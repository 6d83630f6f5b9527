export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}
export function parseVersion(text: string): Version | null;
export function compareVersions(a: Version, b: Version): number;
export function majorTagDecision(tag: string, remoteTags: string[]): { move: boolean; major: string; reason: string };
export function npmDistTagDecision(tag: string, npmLatest: string | null): { distTag: string; reason: string };
export function remoteTagNames(remote: string, cwd?: string): string[];
export function npmLatest(pkg: string): string | null;
