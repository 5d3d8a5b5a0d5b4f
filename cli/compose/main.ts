// `npm run compose`: regenerates schema/<name>.graphql and schema/supergraph.graphql.
import "reflect-metadata";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { CompositionError, composeSupergraph } from "./compose-supergraph";

const root = process.cwd();

composeSupergraph(
  path.join(root, "rover.yaml"),
  path.join(root, "schema", "supergraph.graphql"),
).then(
  async (files) => {
    for (const [file, content] of files) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      console.log(`wrote ${path.relative(root, file)}`);
    }
  },
  (error: Error) => {
    console.error(error instanceof CompositionError ? error.message : error);
    process.exit(1);
  },
);
