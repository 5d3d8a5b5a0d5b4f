import {
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";

/** A list field without a size argument counts as this many items. */
export const DEFAULT_LIST_SIZE = 10;
/** A size given by a variable (unknown when validating) counts as the largest page: 100. */
export const VARIABLE_LIST_SIZE = 100;
/** Arguments that bound the length of a list field. */
const SIZE_ARGUMENTS = ["first", "last", "limit"];
/** Lists inside a connection, already bounded by the connection field's `first`. */
const CONNECTION_LISTS = new Set(["edges", "nodes"]);

interface CostContext {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  /** Fragments being expanded, so a cycle (invalid anyway) cannot loop. */
  expanding: Set<string>;
}

/**
 * Cost of an operation: every field costs 1, and a field's selections cost as many times as the
 * items it can return: its `first`/`last`/`limit` argument ({@link VARIABLE_LIST_SIZE} when it is
 * a variable), else {@link DEFAULT_LIST_SIZE} for a list (`edges` and `nodes` of a connection count
 * once: the connection's size already multiplied them). So `customers(first: 50) { edges { node {
 * id stats { orders } } } }` costs 1 + 50 x (1 + 1 + 1 + 1 + 1) = 251. Over `maxCost` the
 * operation is refused before it runs, with a message giving the cost found.
 */
export function operationCostRule(maxCost: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments.set(definition.name.value, definition);
    }
    const costContext: CostContext = {
      schema: context.getSchema(),
      fragments,
      expanding: new Set(),
    };
    return {
      OperationDefinition(operation) {
        const root = costContext.schema.getRootType(operation.operation);
        if (!root) return;
        const cost = selectionCost(operation.selectionSet, root, costContext);
        if (cost > maxCost) {
          context.reportError(
            new GraphQLError(
              `Operation cost limit of ${maxCost} exceeded, found ${cost}: ask for fewer items (first) or fewer nested lists (GRAPHQL_MAX_COST).`,
              {
                nodes: [operation],
              },
            ),
          );
        }
      },
    };
  };
}

/**
 * The cost of a selection set on `parent`; unknown fields and types (reported by other rules) count
 * 1.
 */
export function selectionCost(
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  context: CostContext,
): number {
  const fields =
    "getFields" in parent
      ? (parent.getFields() as Record<string, { type: GraphQLOutputType } | undefined>)
      : {};
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      cost += fieldCost(selection, fields[selection.name.value]?.type, context);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? context.schema.getType(selection.typeCondition.name.value)
        : parent;
      cost += selectionCost(selection.selectionSet, type ?? parent, context);
    } else {
      const fragment = context.fragments.get(selection.name.value);
      if (!fragment || context.expanding.has(fragment.name.value)) continue;
      context.expanding.add(fragment.name.value);
      cost += selectionCost(
        fragment.selectionSet,
        context.schema.getType(fragment.typeCondition.name.value) ?? parent,
        context,
      );
      context.expanding.delete(fragment.name.value);
    }
  }
  return cost;
}

function fieldCost(
  field: FieldNode,
  type: GraphQLOutputType | undefined,
  context: CostContext,
): number {
  if (!field.selectionSet || !type) return 1;
  return 1 + itemsOf(field, type) * selectionCost(field.selectionSet, getNamedType(type), context);
}

/** How many items a field can return: its size argument, a default for lists, 1 otherwise. */
function itemsOf(field: FieldNode, type: GraphQLOutputType): number {
  for (const argument of field.arguments ?? []) {
    if (!SIZE_ARGUMENTS.includes(argument.name.value)) continue;
    if (argument.value.kind === Kind.VARIABLE) return VARIABLE_LIST_SIZE;
    if (argument.value.kind === Kind.INT) return Number(argument.value.value);
  }
  const unwrapped = isNonNullType(type) ? type.ofType : type;
  if (!isListType(unwrapped)) return 1;
  return CONNECTION_LISTS.has(field.name.value) ? 1 : DEFAULT_LIST_SIZE;
}
