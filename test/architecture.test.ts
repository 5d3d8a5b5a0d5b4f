import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The house's seams, checked on the sources: which part may import which, and no import cycles,
 * neither between files nor between the modules (folders) of a subgraph.
 */
const ROOT = path.resolve(__dirname, "..");
const PARTS = ["gateway", "subgraphs", "kit", "dev", "stack", "cli", "bench", "test"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "node_modules" ? [] : sources(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

const files = PARTS.flatMap((part) => sources(path.join(ROOT, part)));
const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");

/** The project files a file imports (relative and `#kit/`/`#dev/` specifiers), type-only included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const targets: string[] = [];
  for (const match of text.matchAll(/(?:from|import|require\()\s*["']([^"']+)["']/g)) {
    const spec = match[1];
    let base: string | null = null;
    if (spec.startsWith(".")) base = path.resolve(path.dirname(file), spec);
    else if (/^#(kit|dev)\//.test(spec)) base = path.join(ROOT, spec.slice(1));
    if (!base) continue;
    const candidate = [`${base}.ts`, path.join(base, "index.ts")].find((f) => files.includes(f));
    if (candidate) targets.push(candidate);
  }
  return targets;
}

const graph = new Map(files.map((file) => [relative(file), importsOf(file).map(relative)]));
const production = (file: string) => !/\.test\.ts$/.test(file) && !file.startsWith("test/");

/** The first cycle found in a graph, as its nodes in order, or null. */
function findCycle(edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of edges.keys()) {
    if (!state.has(node)) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return null;
}

/** Imports from files matching `from` of files matching `to`, as "a -> b" lines. */
function importsBetween(from: (file: string) => boolean, to: (file: string) => boolean): string[] {
  return [...graph]
    .filter(([file]) => from(file) && production(file))
    .flatMap(([file, targets]) => targets.filter(to).map((target) => `${file} -> ${target}`));
}

const under = (prefix: string) => (file: string) => file.startsWith(prefix);
const subgraphOf = (file: string) => /^subgraphs\/([^/]+)\//.exec(file)?.[1];

describe("the house's seams", () => {
  it("reads every part's sources", () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it("has no import cycle between files", () => {
    expect(findCycle(graph)).toBeNull();
  });

  it.each(["users", "customers", "analytics"])(
    "has no cycle between the modules of the %s subgraph",
    (subgraph) => {
      const prefix = `subgraphs/${subgraph}/src/modules/`;
      const moduleOf = (file: string) =>
        file.startsWith(prefix) ? file.slice(prefix.length).split("/")[0] : null;
      const edges = new Map<string, string[]>();
      for (const [file, targets] of graph) {
        const from = moduleOf(file);
        if (!from || !production(file)) continue;
        const to = targets.map(moduleOf).filter((m): m is string => m !== null && m !== from);
        edges.set(from, [...new Set([...(edges.get(from) ?? []), ...to])]);
      }
      expect(edges.size).toBeGreaterThan(2);
      expect(findCycle(edges)).toBeNull();
    },
  );

  it("keeps the kit free of the services, the dev-only parts and the tools", () => {
    expect(importsBetween(under("kit/"), (f) => !f.startsWith("kit/"))).toEqual([]);
  });

  it("keeps the dev-only parts on the kit alone", () => {
    expect(importsBetween(under("dev/"), (f) => !/^(kit|dev)\//.test(f))).toEqual([]);
  });

  it("keeps the gateway apart from the subgraphs, the launcher and the tools", () => {
    expect(importsBetween(under("gateway/"), (f) => !/^(kit|gateway)\//.test(f))).toEqual([]);
  });

  it("lets no subgraph import another subgraph, the gateway, the launcher or the tools", () => {
    const foreign = (file: string) => (target: string) =>
      !target.startsWith("kit/") &&
      !target.startsWith("dev/") &&
      subgraphOf(target) !== subgraphOf(file);
    const found = [...graph]
      .filter(([file]) => file.startsWith("subgraphs/") && production(file))
      .flatMap(([file, targets]) => targets.filter(foreign(file)).map((t) => `${file} -> ${t}`));
    expect(found).toEqual([]);
  });

  it("takes no helper from the demo data into the models (the ML code stands on its own)", () => {
    expect(
      importsBetween(under("subgraphs/analytics/src/modules/ml/"), (f) => f.startsWith("dev/")),
    ).toEqual([]);
  });
});
