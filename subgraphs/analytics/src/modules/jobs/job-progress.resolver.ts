import {
  Arg,
  Field,
  Float,
  ID,
  ObjectType,
  registerEnumType,
  Resolver,
  Root,
  Subscription,
} from "type-graphql";
import type { DataSource } from "typeorm";
import { requireViewer } from "#kit/auth/guards";
import { isUuid } from "#kit/data/ids";
import { notFound } from "#kit/errors";
import { EventQueue } from "#kit/subscriptions/event-queue";
import type { AnalyticsContext } from "../../context";
import { JobStatus } from "./job-status";
import { runInBackground } from "#kit/database/query-counter";

export enum JobKind {
  SEGMENTATION = "SEGMENTATION",
  CHURN_TRAINING = "CHURN_TRAINING",
}
registerEnumType(JobKind, { name: "JobKind" });

@ObjectType({ description: "The state of a segmentation run or churn model training." })
export class JobProgress {
  @Field(() => ID)
  id: string;

  @Field(() => JobKind)
  kind: JobKind;

  @Field(() => JobStatus)
  status: JobStatus;

  @Field(() => Float, { description: "From 0 to 1." })
  progress: number;

  @Field(() => String, { nullable: true, description: "Why it FAILED." })
  error: string | null;
}

/** How often a running job's row is read for its subscribers. */
export const JOB_POLL_MS = 250;

@Resolver()
export class JobProgressResolver {
  @Subscription(() => JobProgress, {
    description:
      "A segmentation run's or churn training's progress (the id returned by runSegmentation or trainChurnModel): its state now, each change, and the final state, then the subscription completes. Works from any replica: the job's row is read a few times per second.",
    subscribe: ({ args, context }) =>
      watchJob(context as AnalyticsContext, (args as { id: string }).id),
  })
  jobProgress(@Root() progress: JobProgress, @Arg("id", () => ID) _id: string): JobProgress {
    return progress;
  }
}

async function watchJob(ctx: AnalyticsContext, id: string): Promise<AsyncIterable<JobProgress>> {
  const viewer = requireViewer(ctx.viewer);
  const first = isUuid(id) ? await readJob(ctx.dataSource, viewer.organizationId, id) : null;
  if (!first) throw notFound("Job", id);
  let timer: NodeJS.Timeout | undefined;
  const queue = new EventQueue<JobProgress>({ capacity: 100, onClose: () => clearTimeout(timer) });
  let last = JSON.stringify(first);
  queue.push(first);
  if (first.status !== JobStatus.RUNNING) {
    queue.end();
    return queue;
  }
  const poll = async () => {
    const now = await readJob(ctx.dataSource, viewer.organizationId, id).catch(() => undefined);
    if (now === null) return queue.end();
    if (now && JSON.stringify(now) !== last) {
      last = JSON.stringify(now);
      queue.push(now);
      if (now.status !== JobStatus.RUNNING) return queue.end();
    }
    timer = setTimeout(() => runInBackground(() => void poll()), JOB_POLL_MS);
  };
  timer = setTimeout(() => runInBackground(() => void poll()), JOB_POLL_MS);
  return queue;
}

/** The job's state, or null when the organization has no job with that id. */
async function readJob(
  dataSource: DataSource,
  organizationId: string,
  id: string,
): Promise<JobProgress | null> {
  const [row] = await dataSource.query(
    `SELECT id, 'SEGMENTATION' AS kind, status, progress, error FROM segmentation_runs WHERE organization_id = $1 AND id = $2
     UNION ALL
     SELECT id, 'CHURN_TRAINING', status, progress, error FROM churn_models WHERE organization_id = $1 AND id = $2`,
    [organizationId, id],
  );
  return row ?? null;
}
