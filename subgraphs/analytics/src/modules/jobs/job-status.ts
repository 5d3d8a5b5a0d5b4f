import { registerEnumType } from "type-graphql";

/** The state of a background job (a segmentation run, a churn model's training). */
export enum JobStatus {
  RUNNING = "RUNNING",
  COMPLETED = "COMPLETED",
  FAILED = "FAILED",
}

registerEnumType(JobStatus, {
  name: "JobStatus",
  description: "A long computation's state; poll until it is not RUNNING.",
});
