import { executeQueryPlan, type GraphQLDataSource } from "@apollo/gateway";
import type { QueryPlan } from "@apollo/query-planner";
import {
  GraphQLError,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
} from "graphql";
import { ErrorCode } from "#kit/errors";
import { ServiceCloseCode } from "#kit/subscriptions/close-codes";
import type { DirectDeliveryFactory, ResultSink } from "#kit/subscriptions/direct-delivery";
import { EventQueue } from "#kit/subscriptions/event-queue";
import type { GatewayContext } from "../context";
import type { SubscriptionPlan, SubscriptionPlanner } from "./subscription-planner";
import type { UpstreamConnections } from "./upstream-connections";

/** The made-up service that answers the plan's first fetch with the subgraph's event. */
const EVENT_SOURCE = "__subscription_event__";

/** Most results kept for one slow client before the oldest are dropped. */
export const CLIENT_QUEUE_CAPACITY = 1_000;

/**
 * Events of one upstream subscription being completed at once (delivered in order all the same).
 */
export const COMPLETIONS_IN_FLIGHT = 32;

type ServiceMap = Record<string, GraphQLDataSource<GatewayContext>>;

/** One upstream subscription and the clients it serves. */
interface SharedSubscription {
  clients: Set<ResultSink>;
  stop: () => void;
}

/**
 * Runs subscriptions through the gateway: the planner names the subgraph that owns the root field;
 * the subgraph's subscription is opened over graphql-ws as the caller; each event it sends is
 * completed by the rest of the plan (fetches of `_entities` from other subgraphs, batched per
 * event, with the gateway's own data sources so credentials and timeouts apply as for queries),
 * then delivered. Events are completed concurrently (up to {@link COMPLETIONS_IN_FLIGHT} per
 * upstream subscription) and delivered in the subgraph's order. A subscription that needs no other
 * subgraph, and that the subgraph can run as written, is opened upstream as the client wrote it and
 * its events are forwarded as they are. Clients with the same credential, document and variables
 * share one upstream subscription, and each event is completed once for all of them; given a
 * direct delivery, it is also serialized once and written to their sockets without a loop per
 * client and event in graphql-ws.
 */
export class FederatedSubscriptions {
  private readonly shared = new Map<string, SharedSubscription>();

  /**
   * @param canForward true when a subgraph can run the client's document itself with the answer
   * the client expects: a subscription that needs no other subgraph is then opened upstream as
   * written and its events forwarded as they are, without completing each one through a query plan.
   */
  constructor(
    private readonly planner: SubscriptionPlanner,
    private readonly services: ServiceMap,
    private readonly upstream: UpstreamConnections,
    private readonly canForward: (serviceName: string, document: DocumentNode) => boolean = () =>
      false,
  ) {}

  /**
   * graphql-ws `subscribe`: an async iterable of results for one client's subscription; with
   * `direct`, the direct delivery it makes (results written to the client's socket as they come).
   */
  subscribe(
    args: ExecutionArgs,
    direct?: DirectDeliveryFactory,
  ): AsyncIterable<ExecutionResult> | ExecutionResult {
    const context = args.contextValue as GatewayContext;
    if (!context.accessToken)
      return {
        errors: [
          new GraphQLError("Subscriptions need a credential.", {
            extensions: { code: ErrorCode.Unauthenticated },
          }),
        ],
      };
    let plan: SubscriptionPlan;
    try {
      plan = this.planner.plan(args.document, args.operationName);
    } catch (error) {
      return {
        errors: [
          error instanceof GraphQLError
            ? error
            : new GraphQLError((error as Error).message, {
                extensions: { code: ErrorCode.BadUserInput },
              }),
        ],
      };
    }
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const text = print(args.document);
    const key = JSON.stringify([context.accessToken, args.operationName ?? null, text, variables]);
    let shared = this.shared.get(key);
    if (!shared) {
      const forwarded =
        !plan.rest && this.canForward(plan.primary.serviceName, args.document)
          ? { query: text, operationName: args.operationName ?? undefined }
          : null;
      shared = this.open(key, plan, variables, context, forwarded);
    }
    const subscription = shared;
    const options = {
      capacity: CLIENT_QUEUE_CAPACITY,
      onClose: () => {
        subscription.clients.delete(client);
        if (subscription.clients.size === 0) {
          this.shared.delete(key);
          subscription.stop();
        }
      },
    };
    const client = direct ? direct(options) : new EventQueue<ExecutionResult>(options);
    subscription.clients.add(client);
    return client;
  }

  /** Upstream subscriptions open (shared ones count once). */
  get upstreamCount(): number {
    return this.shared.size;
  }

  /** Ends every client's subscription. */
  close(): void {
    for (const subscription of [...this.shared.values()])
      for (const client of [...subscription.clients]) client.end();
  }

  /**
   * Opens the upstream subscription: the plan's subgraph operation, each event completed by the
   * rest of the plan; or, `asWritten`, the client's own document, each event forwarded as it is.
   */
  private open(
    key: string,
    plan: SubscriptionPlan,
    variables: Record<string, unknown>,
    context: GatewayContext,
    asWritten: { query: string; operationName: string | undefined } | null,
  ): SharedSubscription {
    const { client, release } = this.upstream.acquire(
      plan.primary.serviceName,
      context.accessToken!,
    );
    const upstreamVariables = Object.fromEntries(
      (plan.primary.variableUsages ?? [])
        .filter((name) => name in variables)
        .map((name) => [name, variables[name]]),
    );
    const clients = new Set<ResultSink>();
    // Events are completed concurrently (at most COMPLETIONS_IN_FLIGHT) but delivered one after
    // another, so clients receive them in the subgraph's order.
    let chain = Promise.resolve();
    const limit = concurrencyLimit(COMPLETIONS_IN_FLIGHT);
    const deliver = (result: ExecutionResult) => {
      for (const queue of clients) queue.push(result);
    };
    const request = asWritten
      ? { query: asWritten.query, variables, operationName: asWritten.operationName }
      : {
          query: plan.primary.operation,
          variables: upstreamVariables,
          operationName: plan.primary.operationName,
        };
    const unsubscribe = client.subscribe(request, {
      next: (event) => {
        const result: Promise<ExecutionResult> = asWritten
          ? Promise.resolve(asExecutionResult(event as FormattedExecutionResult))
          : limit(() =>
              this.complete(plan, event as FormattedExecutionResult, variables, context),
            ).catch((error: Error) => ({
              errors: [new GraphQLError(error.message, { originalError: error })],
            }));
        chain = chain.then(() => result).then(deliver);
      },
      error: (error) => {
        chain = chain.then(() => {
          deliver({ errors: upstreamErrors(error, plan.primary.serviceName) });
          for (const queue of [...clients]) queue.end();
        });
      },
      complete: () => {
        chain = chain.then(() => {
          for (const queue of [...clients]) queue.end();
        });
      },
    });
    const subscription: SharedSubscription = {
      clients,
      stop: () => {
        unsubscribe();
        release();
      },
    };
    this.shared.set(key, subscription);
    return subscription;
  }

  /**
   * One event as the client asked for it: the subgraph's data, completed by the rest of the plan.
   */
  private async complete(
    plan: SubscriptionPlan,
    event: FormattedExecutionResult,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<ExecutionResult> {
    if (!event.data) return asExecutionResult(event);
    const eventSource = {
      process: async () => ({ data: event.data, errors: event.errors }),
    } as unknown as GraphQLDataSource<GatewayContext>;
    const queryPlan: QueryPlan = {
      kind: "QueryPlan",
      node: plan.rest
        ? { kind: "Sequence", nodes: [{ ...plan.primary, serviceName: EVENT_SOURCE }, plan.rest] }
        : { ...plan.primary, serviceName: EVENT_SOURCE },
    };
    const requestContext = {
      request: {
        query: printedOperation(plan),
        variables,
        operationName: plan.operationContext.operation.name?.value,
      },
      context,
      logger: console,
      metrics: {},
      cache: undefined,
      overallCachePolicy: undefined,
    };
    const result = await executeQueryPlan(
      queryPlan,
      { ...this.services, [EVENT_SOURCE]: eventSource } as never,
      requestContext as never,
      plan.operationContext,
      this.planner.supergraphSchema,
      this.planner.apiSchema,
    );
    return result as ExecutionResult;
  }
}

/** A subgraph's event (errors as plain objects) as a result with GraphQL errors. */
function asExecutionResult(event: FormattedExecutionResult): ExecutionResult {
  const errors = event.errors?.map(
    (error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions }),
  );
  return event.data === undefined
    ? { errors }
    : errors
      ? { data: event.data, errors }
      : { data: event.data };
}

/** Runs at most `max` of the functions given at once; the others wait their turn, in order. */
function concurrencyLimit(max: number): <T>(run: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(run: () => Promise<T>): Promise<T> => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await run();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** The client's operation as text, printed once per plan rather than once per event. */
const printed = new WeakMap<SubscriptionPlan, string>();
function printedOperation(plan: SubscriptionPlan): string {
  let text = printed.get(plan);
  if (text === undefined)
    printed.set(plan, (text = print(plan.operationContext.operation as never)));
  return text;
}

/**
 * What the upstream's failure looks like to the client: its GraphQL errors, or the service being
 * unavailable.
 */
function upstreamErrors(error: unknown, serviceName: string): GraphQLError[] {
  if (Array.isArray(error)) {
    return error.map(
      (e: { message: string; extensions?: Record<string, unknown> }) =>
        new GraphQLError(e.message, { extensions: e.extensions }),
    );
  }
  const code = (error as { code?: number }).code;
  if (code === ServiceCloseCode.Forbidden)
    return [
      new GraphQLError(
        "The credential was refused by the subgraph (expired?); reconnect with a new one.",
        { extensions: { code: ErrorCode.Unauthenticated } },
      ),
    ];
  return [
    new GraphQLError(
      `The ${serviceName} service closed the subscription${code ? ` (code ${code})` : ""}; subscribe again.`,
      { extensions: { code: ErrorCode.ServiceUnavailable, serviceName } },
    ),
  ];
}
