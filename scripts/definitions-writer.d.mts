export interface DefinitionsSpec {
  flow: string;
  job?: string;
  source: string;
  configClass: string[] | null;
  steps?: string[];
  datastoreRoot?: string;
}
export function renderDefinitions(spec: DefinitionsSpec): string;
