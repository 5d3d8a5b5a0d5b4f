import {
  getNamedType,
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLString,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { Declined } from "./declined";

/**
 * A client operation compiled once into what shaping its answer needs: per selection set, what to
 * copy from the merged subgraph data into the response, in the client's order, with each leaf's
 * type check and each fragment's type condition resolved ahead of time.
 *
 * It follows `@apollo/gateway`'s result shaping (responses equal field for field), except that
 * anything that would make that shaping report an error (a null for a non-null field, a value
 * of the wrong type, an unknown `__typename`, a `@skip`/`@include` variable that is not a
 * boolean) makes {@link shapeResult} throw {@link Declined}: such an answer is for
 * `@apollo/gateway` to give, with its errors.
 */
export interface ResultShape {
  selections: readonly SelectionShape[];
  /** The root type's name (`Query`). */
  rootType: string;
  /** Default values of the variables that `@skip`/`@include` read. */
  conditionDefaults: Readonly<Record<string, unknown>>;
  /** The schema's type names, and which of them are object and composite types. */
  types: SchemaTypes;
}

interface SchemaTypes {
  all: ReadonlySet<string>;
  objects: ReadonlySet<string>;
  composites: ReadonlySet<string>;
}

/** `@skip(if: $v)` or `@include(if: $v)` on a selection: skipped when `$v` is `skipWhen`. */
interface Condition {
  variable: string;
  skipWhen: boolean;
}

type SelectionShape = TypenameShape | FieldShape | FragmentShape;

interface TypenameShape {
  kind: "typename";
  responseName: string;
  conditions: readonly Condition[] | null;
}

interface FieldShape {
  kind: "field";
  responseName: string;
  value: ValueShape;
  /** The value is an object (or list of them) whose selections are merged into what is there. */
  composite: boolean;
  conditions: readonly Condition[] | null;
}

interface FragmentShape {
  kind: "fragment";
  /** The object types the type condition holds for; null without a type condition. */
  possibleTypes: ReadonlySet<string> | null;
  /** Whether it applies to an object without `__typename` (decided by the enclosing type). */
  appliesWithoutTypename: boolean;
  /** The type inside the fragment. */
  parentType: string;
  selections: readonly SelectionShape[];
  conditions: readonly Condition[] | null;
}

type ValueShape =
  | { kind: "nonNull"; of: ValueShape }
  | { kind: "list"; of: ValueShape }
  | { kind: "leaf"; valid: (value: unknown) => boolean }
  | {
      kind: "object";
      /** The field's own type, used when the object has no `__typename`. */
      staticType: string;
      selections: readonly SelectionShape[];
    };

/**
 * The shape of the operation's answers, or null when this module does not shape it (the caller
 * then leaves the operation to `@apollo/gateway`): introspection fields, `@defer`/`@stream`, and
 * response names that are properties of every JavaScript object (`constructor`, `__proto__`).
 */
export function compileResultShape(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): ResultShape | null {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return null;
  const conditionDefaults: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const value = definition.defaultValue;
    if (value?.kind === Kind.BOOLEAN)
      conditionDefaults[definition.variable.name.value] = value.value;
  }
  const compiler = new ShapeCompiler(schema, fragments);
  try {
    return {
      selections: compiler.selections(operation.selectionSet, rootType),
      rootType: rootType.name,
      conditionDefaults,
      types: schemaTypes(schema),
    };
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

class Unsupported extends Error {}

const typesOfSchema = new WeakMap<GraphQLSchema, SchemaTypes>();

function schemaTypes(schema: GraphQLSchema): SchemaTypes {
  let types = typesOfSchema.get(schema);
  if (!types) {
    const all = Object.values(schema.getTypeMap());
    types = {
      all: new Set(all.map((t) => t.name)),
      objects: new Set(all.filter(isObjectType).map((t) => t.name)),
      composites: new Set(all.filter(isCompositeType).map((t) => t.name)),
    };
    typesOfSchema.set(schema, types);
  }
  return types;
}

class ShapeCompiler {
  private readonly possibleTypes = new Map<string, ReadonlySet<string>>();
  /** Fragment spreads being compiled (validation already refused cycles; this is a guard). */
  private readonly spreading = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  selections(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): SelectionShape[] {
    const shapes: SelectionShape[] = [];
    for (const selection of selectionSet.selections) {
      const conditions = this.conditions(selection.directives);
      if (conditions === SKIPPED) continue;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const responseName = selection.alias?.value ?? name;
        if (responseName in Object.prototype) throw new Unsupported();
        if (name === "__typename") {
          shapes.push({ kind: "typename", responseName, conditions });
          continue;
        }
        // __schema and __type (introspection), or a field of a union (invalid anyway).
        if (name.startsWith("__") || !("getFields" in parentType)) throw new Unsupported();
        const definition = parentType.getFields()[name];
        if (!definition) throw new Unsupported();
        const composite = isCompositeType(getNamedType(definition.type));
        shapes.push({
          kind: "field",
          responseName,
          value: this.value(definition.type, selection.selectionSet),
          composite,
          conditions,
        });
        continue;
      }
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT
          ? { typeCondition: selection.typeCondition, selectionSet: selection.selectionSet }
          : this.fragments.get(selection.name.value);
      if (!fragment) throw new Unsupported();
      const spread = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : null;
      if (spread !== null) {
        if (this.spreading.has(spread)) throw new Unsupported();
        this.spreading.add(spread);
      }
      const conditionType = fragment.typeCondition
        ? this.schema.getType(fragment.typeCondition.name.value)
        : null;
      if (conditionType !== null && !isCompositeType(conditionType)) throw new Unsupported();
      const innerType = conditionType ?? parentType;
      shapes.push({
        kind: "fragment",
        possibleTypes: conditionType ? this.possibleTypesOf(conditionType) : null,
        appliesWithoutTypename:
          conditionType === null ||
          conditionType === parentType ||
          (isAbstractType(conditionType) &&
            this.schema.isSubType(conditionType, parentType as never)),
        parentType: innerType.name,
        selections: this.selections(fragment.selectionSet, innerType),
        conditions,
      });
      if (spread !== null) this.spreading.delete(spread);
    }
    return shapes;
  }

  private value(type: GraphQLOutputType, selectionSet: SelectionSetNode | undefined): ValueShape {
    if (isNonNullType(type)) return { kind: "nonNull", of: this.value(type.ofType, selectionSet) };
    if (isListType(type)) return { kind: "list", of: this.value(type.ofType, selectionSet) };
    if (isCompositeType(type)) {
      if (!selectionSet) throw new Unsupported();
      return {
        kind: "object",
        staticType: type.name,
        selections: this.selections(selectionSet, type),
      };
    }
    return { kind: "leaf", valid: leafCheck(type) };
  }

  private possibleTypesOf(type: GraphQLCompositeType): ReadonlySet<string> {
    let types = this.possibleTypes.get(type.name);
    if (!types) {
      types = new Set(
        isAbstractType(type) ? this.schema.getPossibleTypes(type).map((t) => t.name) : [type.name],
      );
      this.possibleTypes.set(type.name, types);
    }
    return types;
  }

  /** The selection's variable conditions, null for none, or SKIPPED when constants skip it. */
  private conditions(
    directives: readonly DirectiveNode[] | undefined,
  ): Condition[] | null | typeof SKIPPED {
    let conditions: Condition[] | null = null;
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name === "defer" || name === "stream") throw new Unsupported();
      if (name !== "skip" && name !== "include") continue;
      const argument = directive.arguments?.find((a) => a.name.value === "if")?.value;
      const skipWhen = name === "skip";
      if (argument?.kind === Kind.BOOLEAN) {
        if (argument.value === skipWhen) return SKIPPED;
      } else if (argument?.kind === Kind.VARIABLE) {
        (conditions ??= []).push({ variable: argument.name.value, skipWhen });
      } else throw new Unsupported();
    }
    return conditions;
  }
}

const SKIPPED = Symbol("skipped");

const INTEGER_LIMIT = 1e21; // from here on String(n) is in exponent notation, no integer literal

function isIntegerValue(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && Math.abs(value) < INTEGER_LIMIT;
}

/** Whether a subgraph's value is one of the leaf type's values, as `@apollo/gateway` checks it. */
function leafCheck(type: GraphQLOutputType): (value: unknown) => boolean {
  if (type === GraphQLString) return (value) => typeof value === "string";
  if (type === GraphQLBoolean) return (value) => typeof value === "boolean";
  if (type === GraphQLInt) return isIntegerValue;
  if (type === GraphQLFloat) return (value) => typeof value === "number" && Number.isFinite(value);
  if (type === GraphQLID) return (value) => typeof value === "string" || isIntegerValue(value);
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (value) => typeof value === "string" && values.has(value);
  }
  return () => true; // custom scalars: the subgraph serialized them
}

/**
 * The client's response data for `shape` from the subgraphs' merged data. Throws
 * {@link Declined} where `@apollo/gateway` would report an error (see {@link ResultShape}).
 */
export function shapeResult(
  shape: ResultShape,
  data: Record<string, unknown>,
  variables: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  const run: Run = {
    variables:
      Object.keys(shape.conditionDefaults).length > 0
        ? { ...shape.conditionDefaults, ...variables }
        : variables,
    types: shape.types,
  };
  applySelections(data, shape.selections, output, shape.rootType, run);
  return output;
}

/** What one shaping reads besides the data. */
interface Run {
  variables: Readonly<Record<string, unknown>>;
  types: SchemaTypes;
}

function skipped(conditions: readonly Condition[], run: Run) {
  for (const { variable, skipWhen } of conditions) {
    const value = run.variables[variable];
    if (typeof value !== "boolean") throw new Declined();
    if (value === skipWhen) return true;
  }
  return false;
}

function applySelections(
  input: Record<string, unknown>,
  selections: readonly SelectionShape[],
  output: Record<string, unknown>,
  parentType: string,
  run: Run,
): void {
  for (const selection of selections) {
    if (selection.conditions && skipped(selection.conditions, run)) continue;
    if (selection.kind === "field") {
      const { responseName } = selection;
      const before = output[responseName];
      if (before === null || (before !== undefined && !selection.composite)) continue;
      output[responseName] = shapeValue(before, selection.value, input[responseName] ?? null, run);
    } else if (selection.kind === "typename") {
      if (output[selection.responseName] !== undefined) continue;
      output[selection.responseName] = typenameOf(input, selection.responseName, parentType, run);
    } else {
      const typename = input.__typename;
      if (typename !== undefined && typeof typename !== "string") throw new Declined();
      const applies =
        typename === undefined
          ? selection.appliesWithoutTypename
          : selection.possibleTypes === null || selection.possibleTypes.has(typename);
      if (applies) applySelections(input, selection.selections, output, selection.parentType, run);
    }
  }
}

/**
 * `__typename`: the subgraph's when it names a type of the schema (an object type), else the
 * enclosing type's (when that is an object type).
 */
function typenameOf(
  input: Record<string, unknown>,
  responseName: string,
  parentType: string,
  run: Run,
): string {
  const given = input[responseName] ?? input.__typename;
  const name = typeof given === "string" && run.types.all.has(given) ? given : parentType;
  if (!run.types.objects.has(name)) throw new Declined();
  return name;
}

function shapeValue(before: unknown, shape: ValueShape, value: unknown, run: Run): unknown {
  switch (shape.kind) {
    case "nonNull": {
      const shaped = shapeValue(before, shape.of, value, run);
      if (shaped === null) throw new Declined();
      return shaped;
    }
    case "list": {
      if (value === null) return null;
      if (!Array.isArray(value)) throw new Declined();
      const list = before === undefined ? new Array<unknown>(value.length) : before;
      if (!Array.isArray(list) || list.length !== value.length) throw new Declined();
      for (let i = 0; i < value.length; i++) {
        const element = list[i];
        list[i] = element === null ? null : shapeValue(element, shape.of, value[i] ?? null, run);
      }
      return list;
    }
    case "object": {
      if (value === null) return null;
      if (typeof value !== "object" || Array.isArray(value)) throw new Declined();
      const object = (before ?? {}) as Record<string, unknown>;
      const typename = (value as Record<string, unknown>).__typename;
      if (
        typename !== undefined &&
        (typeof typename !== "string" || !run.types.composites.has(typename))
      )
        throw new Declined();
      applySelections(
        value as Record<string, unknown>,
        shape.selections,
        object,
        typename ?? shape.staticType,
        run,
      );
      return object;
    }
    case "leaf":
      if (value === null) return null;
      if (!shape.valid(value)) throw new Declined();
      return value;
  }
}
