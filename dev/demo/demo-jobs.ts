import type { Logger } from "#kit/logger";

/**
 * What {@link startDemoJobs} did for one organization, per job: `started` (a background run was
 * started; for the alert rule: it was added), `present` (the organization had one already), or the
 * error that refused it (e.g. too few customers for a churn model).
 */
export interface DemoJobsOutcome {
  segmentation: DemoJobOutcome;
  churnModel: DemoJobOutcome;
  alertRule: DemoJobOutcome;
}
export type DemoJobOutcome = "started" | "present" | { failed: string };

/**
 * The demo alert rule: page views over the trailing day above 10, which the demo data crosses, so
 * the dashboard's alerts panel has a real firing to acknowledge and resolve.
 */
export const DEMO_ALERT_RULE = {
  name: "Page views over the last 24 hours above 10",
  metric: "page_views",
  condition: "ABOVE",
  threshold: 10,
  windowMinutes: 1440,
};

/**
 * Fills what the demo data leaves empty, through the gateway as the given user (an ANALYST or
 * ADMIN): when the organization has no completed segmentation, starts `runSegmentation` in the
 * background (waitSeconds 0); likewise `trainChurnModel`; and when it has no alert rule, adds
 * {@link DEMO_ALERT_RULE}. Resolves as soon as the jobs are started, not when they end, with what
 * became of each; rejects when signing in or reading what exists fails.
 */
export async function startDemoJobs(
  gatewayUrl: string,
  credentials: { email: string; password: string },
): Promise<DemoJobsOutcome> {
  const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const response = await fetch(gatewayUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as {
      data?: Record<string, any>;
      errors?: { message: string }[];
    };
    if (body.errors?.length) throw new Error(body.errors[0].message);
    return body.data!;
  };
  const { login } = await gql(
    `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
    credentials,
  );
  const token: string = login.accessToken;
  const present = await gql(
    `{ segmentation { id } churnModel { id } alertRules { id } }`,
    {},
    token,
  );
  // Each job on its own: one refused does not keep the others from starting.
  const start = async (exists: boolean, mutation: string, variables = {}) => {
    if (exists) return "present" as const;
    try {
      await gql(mutation, variables, token);
      return "started" as const;
    } catch (error) {
      return { failed: (error as Error).message };
    }
  };
  const outcome: DemoJobsOutcome = {
    segmentation: await start(
      Boolean(present.segmentation),
      `mutation { runSegmentation(input: { waitSeconds: 0 }) { id } }`,
    ),
    churnModel: await start(
      Boolean(present.churnModel),
      `mutation { trainChurnModel(input: { waitSeconds: 0 }) { id } }`,
    ),
    alertRule: await start(
      present.alertRules.length > 0,
      `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
      { input: DEMO_ALERT_RULE },
    ),
  };
  return outcome;
}

/**
 * {@link startDemoJobs} for each demo organization's analyst, in the background: logs what it
 * started, or why it could not (the stack keeps running either way).
 */
export function startDemoJobsInBackground(
  gatewayUrl: string,
  users: { email: string; password: string }[],
  log: Logger,
): Promise<void> {
  return users.reduce(
    (previous, user) =>
      previous.then(() =>
        startDemoJobs(gatewayUrl, user).then(
          (outcome) => {
            const names = {
              segmentation: "a segmentation",
              churnModel: "a churn model training",
              alertRule: "the demo alert rule",
            };
            const started = (Object.keys(names) as (keyof DemoJobsOutcome)[])
              .filter((job) => outcome[job] === "started")
              .map((job) => names[job]);
            if (started.length)
              log.info(`demo data for ${user.email}: started ${started.join(", ")}`);
            for (const job of Object.keys(names) as (keyof DemoJobsOutcome)[]) {
              const result = outcome[job];
              if (typeof result === "object")
                log.warn(
                  `demo data for ${user.email}: ${names[job]} was refused: ${result.failed}`,
                );
            }
          },
          (error: Error) =>
            log.warn(`demo jobs for ${user.email} were not started: ${error.message}`),
        ),
      ),
    Promise.resolve(),
  );
}
