import { readFile } from "node:fs/promises";

/**
 * Reads the committed supergraph SDL (made by `npm run compose`); a missing file says how to make
 * it.
 */
export async function loadSupergraph(supergraphPath: string): Promise<string> {
  try {
    return await readFile(supergraphPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`No supergraph at ${supergraphPath}: run 'npm run compose' to generate it.`);
    }
    throw error;
  }
}
