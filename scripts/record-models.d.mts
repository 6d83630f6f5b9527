export const EXTRACT: string;
export function shellWords(text: string): string[];
export function compileWithRealCompiler(flowFile: string, options: { pythonPath: string; topArgs?: string[]; args?: string[] }): { text: string; sysroot: string; error?: undefined } | { error: string; text?: undefined };
export function extractModels(texts: string[]): Record<string, any>[];
export function realCompilerOn(pythonPath: string | undefined): boolean;
