import type { Logger } from "#kit/logger";

/** What {@link startDemoJobs} did for one organization. */
export interface DemoJobsOutcome {
  /** `started`: a background run was started; `present`: the organization had one already. */
  segmentation: "started" | "present";
  churnModel: "started" | "present";
  /** `created`: the demo alert rule was added; `present`: the organization had rules already. */
  alertRule: "created" | "present";
}

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
 * {@link DEMO_ALERT_RULE}. Resolves as soon as the jobs are started, not when they end; rejects
 * when signing in or a mutation fails.
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
  const outcome: DemoJobsOutcome = {
    segmentation: present.segmentation ? "present" : "started",
    churnModel: present.churnModel ? "present" : "started",
    alertRule: present.alertRules.length > 0 ? "present" : "created",
  };
  if (outcome.segmentation === "started")
    await gql(`mutation { runSegmentation(input: { waitSeconds: 0 }) { id } }`, {}, token);
  if (outcome.churnModel === "started")
    await gql(`mutation { trainChurnModel(input: { waitSeconds: 0 }) { id } }`, {}, token);
  if (outcome.alertRule === "created")
    await gql(
      `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
      { input: DEMO_ALERT_RULE },
      token,
    );
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
            const started = [
              outcome.segmentation === "started" && "a segmentation",
              outcome.churnModel === "started" && "a churn model training",
              outcome.alertRule === "created" && "the demo alert rule",
            ].filter(Boolean);
            if (started.length)
              log.info(`demo data for ${user.email}: started ${started.join(", ")}`);
          },
          (error: Error) =>
            log.warn(`demo jobs for ${user.email} were not started: ${error.message}`),
        ),
      ),
    Promise.resolve(),
  );
}
