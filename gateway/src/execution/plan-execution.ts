import type {
  FetchNode,
  PlanNode,
  QueryPlan,
  QueryPlanSelectionNode,
  ResponsePath,
} from "@apollo/query-planner";
import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from "graphql";
import { Declined } from "./declined";

/** JSON data of a subgraph's answer. */
type Data = Record<string, unknown>;

/**
 * Sends one fetch's request body (JSON text) to a subgraph; resolves with the parsed `data` of an
 * answer that has data and no errors, and throws {@link Declined} for any other answer.
 */
export type SendFetch = (serviceName: string, body: string) => Promise<Data>;

/**
 * A query plan as the gateway executes it itself: sequences, parallel branches, flattening into
 * lists, and fetches (entity fetches with their `@key`/`@requires` representations), each
 * fetch's request body built from text prepared once. Plans with anything else (`@defer`,
 * conditions, rewrites for interface objects or `@context`) are not for it: {@link compilePlan}
 * gives null for them.
 */
export interface CompiledPlan {
  node: CompiledNode | null;
}

type CompiledNode =
  | { kind: "Sequence" | "Parallel"; nodes: CompiledNode[] }
  | { kind: "Flatten"; path: ResponsePath; node: CompiledNode }
  | CompiledFetch;

interface CompiledFetch {
  kind: "Fetch";
  serviceName: string;
  variableUsages: readonly string[];
  requires: readonly QueryPlanSelectionNode[] | null;
  /** `{"query":"…","variables":` */
  bodyStart: string;
  /** `,"operationName":"…"}` or `}` */
  bodyEnd: string;
}

/** The plan compiled for {@link executePlan}, or null when this executor does not run it. */
export function compilePlan(plan: QueryPlan): CompiledPlan | null {
  if (!plan.node) return { node: null };
  if (plan.node.kind === "Subscription") return null;
  const node = compileNode(plan.node);
  return node ? { node } : null;
}

function compileNode(node: PlanNode): CompiledNode | null {
  switch (node.kind) {
    case "Sequence":
    case "Parallel": {
      const nodes = node.nodes.map(compileNode);
      return nodes.every((n) => n !== null)
        ? { kind: node.kind, nodes: nodes as CompiledNode[] }
        : null;
    }
    case "Flatten": {
      const inner = compileNode(node.node);
      return inner ? { kind: "Flatten", path: node.path, node: inner } : null;
    }
    case "Fetch":
      return compileFetch(node);
    default:
      return null; // Defer, Condition
  }
}

function compileFetch(fetch: FetchNode): CompiledFetch | null {
  if (
    fetch.operationKind !== "query" ||
    fetch.hasDefers ||
    fetch.inputRewrites?.length ||
    fetch.outputRewrites?.length ||
    fetch.contextRewrites?.length
  )
    return null;
  return {
    kind: "Fetch",
    serviceName: fetch.serviceName,
    variableUsages: fetch.variableUsages ?? [],
    requires: fetch.requires ?? null,
    bodyStart: `{"query":${JSON.stringify(fetch.operation)},"variables":`,
    bodyEnd:
      fetch.operationName === undefined
        ? "}"
        : `,"operationName":${JSON.stringify(fetch.operationName)}}`,
  };
}

/**
 * Runs the plan and resolves with the subgraphs' data merged as `@apollo/gateway` merges it (not
 * yet shaped for the client). `variables` are the client's, as it sent them; `supergraph` is the
 * supergraph's schema (for the type conditions of representations). Rejects with
 * {@link Declined} when a subgraph's answer is not a clean one.
 */
export async function executePlan(
  plan: CompiledPlan,
  variables: Readonly<Record<string, unknown>>,
  supergraph: GraphQLSchema,
  send: SendFetch,
): Promise<Data> {
  const root: Data = {};
  if (plan.node) await executeNode(plan.node, root, { variables, supergraph, send });
  return root;
}

interface Execution {
  variables: Readonly<Record<string, unknown>>;
  supergraph: GraphQLSchema;
  send: SendFetch;
}

async function executeNode(node: CompiledNode, data: unknown, run: Execution): Promise<void> {
  switch (node.kind) {
    case "Sequence":
      for (const child of node.nodes) await executeNode(child, data, run);
      return;
    case "Parallel":
      await Promise.all(node.nodes.map((child) => executeNode(child, data, run)));
      return;
    case "Flatten": {
      const inner = valuesAt(data, node.path, 0);
      if (inner !== undefined && inner !== null) await executeNode(node.node, inner, run);
      return;
    }
    case "Fetch":
      return executeFetch(node, data, run);
  }
}

/** The values at `path` below `value` (`@` maps over a list, flattening). */
function valuesAt(value: unknown, path: ResponsePath, from: number): unknown {
  if (from === path.length || value === undefined || value === null) return value;
  const step = path[from];
  if (step === "@") {
    if (!Array.isArray(value)) throw new Declined();
    return value.flatMap((element) => valuesAt(element, path, from + 1));
  }
  if (typeof step !== "string" || typeof value !== "object" || Array.isArray(value))
    throw new Declined();
  return valuesAt(ownValue(value as Data, step), path, from + 1);
}

async function executeFetch(fetch: CompiledFetch, data: unknown, run: Execution): Promise<void> {
  const entities = (
    Array.isArray(data) ? data.filter((e) => e !== null && e !== undefined) : [data]
  ) as Data[];
  if (entities.length === 0) return;
  const variables: Data = {};
  for (const name of fetch.variableUsages) {
    const value = Object.hasOwn(run.variables, name) ? run.variables[name] : undefined;
    if (value !== undefined) variables[name] = value;
  }
  if (!fetch.requires) {
    const received = await run.send(fetch.serviceName, body(fetch, variables));
    for (const entity of entities) merge(entity, received);
    return;
  }
  const representations: Data[] = [];
  const owners: Data[] = [];
  for (const entity of entities) {
    const representation = select(entity, fetch.requires, run.supergraph);
    if (representation && representation.__typename) {
      representations.push(representation);
      owners.push(entity);
    }
  }
  if (representations.length === 0) return;
  if ("representations" in variables) throw new Declined();
  variables.representations = representations;
  const received = (await run.send(fetch.serviceName, body(fetch, variables)))._entities;
  if (!Array.isArray(received) || received.length !== representations.length) throw new Declined();
  for (let i = 0; i < received.length; i++) {
    const entity = received[i] as Data | null;
    if (entity && !entity.__typename) entity.__typename = owners[i].__typename;
    merge(owners[i], entity);
  }
}

function body(fetch: CompiledFetch, variables: Data): string {
  return fetch.bodyStart + JSON.stringify(variables) + fetch.bodyEnd;
}

/**
 * An entity's representation: the `requires` selection of its data, or null when a field of it is
 * missing.
 */
function select(
  source: unknown,
  selections: readonly QueryPlanSelectionNode[],
  supergraph: GraphQLSchema,
): Data | null {
  if (source === null || typeof source !== "object") return null;
  const object = source as Data;
  const result: Data = {};
  for (const selection of selections) {
    if (selection.kind === "Field") {
      const name = selection.alias ?? selection.name;
      const value = ownValue(object, name);
      if (value === undefined) return null;
      const inner = selection.selections;
      result[name] = Array.isArray(value)
        ? value.map((element) => (inner ? select(element, inner, supergraph) : element))
        : inner
          ? select(value, inner, supergraph)
          : value;
    } else if (selection.typeCondition && isOfType(supergraph, object, selection.typeCondition)) {
      merge(result, select(object, selection.selections, supergraph));
    }
  }
  return result;
}

/** Whether the object's `__typename` is the type condition or a type within it. */
function isOfType(schema: GraphQLSchema, object: Data, condition: string): boolean {
  const typename = object.__typename;
  if (typeof typename !== "string" || typename === "") return false;
  if (typename === condition) return true;
  const type = schema.getType(typename);
  const conditionType = schema.getType(condition);
  return (
    type !== undefined &&
    conditionType !== undefined &&
    isAbstractType(conditionType) &&
    (isObjectType(type) || isInterfaceType(type)) &&
    schema.isSubType(conditionType, type)
  );
}

function ownValue(object: Data, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Merges `source` into `target` in place, objects and same-length lists element by element. */
function merge(target: Data, source: Data | null | undefined): void {
  if (source === null || source === undefined) return;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    if (key === "__proto__") throw new Declined();
    const existing = ownValue(target, key);
    if (existing && isPlainObject(value)) {
      if (!isPlainObject(existing)) throw new Declined();
      merge(existing as Data, value as Data);
    } else if (
      Array.isArray(value) &&
      Array.isArray(existing) &&
      value.length === existing.length
    ) {
      for (let i = 0; i < value.length; i++) {
        if (isPlainObject(existing[i]) && isPlainObject(value[i])) merge(existing[i], value[i]);
        else existing[i] = value[i];
      }
    } else {
      target[key] = value;
    }
  }
}

function isPlainObject(value: unknown): value is Data {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
