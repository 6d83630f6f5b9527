import type { Metafile } from "esbuild";

export interface BundledPackage {
  /** The package's folder under node_modules. */
  dir: string;
  name: string;
  version: string;
  /** The package.json license field, null without one. */
  license: string | null;
}

export function bundledPackages(metafiles: Metafile[], cwd?: string): BundledPackage[];
