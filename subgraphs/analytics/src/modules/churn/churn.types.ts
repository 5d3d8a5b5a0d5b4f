import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionType } from "#kit/pagination/connection";
import { Customer } from "../customer-stats/customer.type";
import { JobStatus } from "../jobs/job-status";

export enum RiskBand {
  LOW = "LOW",
  MEDIUM = "MEDIUM",
  HIGH = "HIGH",
}

registerEnumType(RiskBand, {
  name: "RiskBand",
  description: "HIGH at or above the model's threshold, MEDIUM above half of it, else LOW.",
});

@ObjectType({
  description:
    "A feature and its weight: a model coefficient, or its contribution to one customer's log-odds.",
})
export class FeatureWeight {
  @Field()
  feature: string;

  @Field(() => Float)
  weight: number;
}

@ObjectType({
  description: "A churn model trained on the organization's data, with its held-out evaluation.",
})
export class ChurnModel {
  @Field(() => ID)
  id: string;

  @Field()
  trainedAt: Date;

  @Field(() => JobStatus)
  status: JobStatus;

  @Field(() => Float)
  progress: number;

  @Field(() => String, { nullable: true })
  error: string | null;

  @Field({ description: "Features are computed from events before this moment." })
  cutoff: Date;

  @Field(() => Int)
  horizonDays: number;

  @Field(() => String, {
    nullable: true,
    description: "RECORDED_STATUS (the customers' status) or NO_PURCHASE_WITHIN_HORIZON.",
  })
  labelSource: string | null;

  @Field(() => Int)
  trainingSize: number;

  @Field(() => Float)
  positiveRate: number;

  @Field(() => Float, { description: "ROC-AUC on the held-out 20%." })
  auc: number;

  @Field(() => Float)
  accuracy: number;

  @Field(() => Float)
  precision: number;

  @Field(() => Float)
  recall: number;

  @Field(() => Float, {
    description: "Probability at or above which a customer is predicted to churn.",
  })
  threshold: number;

  @Field(() => [FeatureWeight], {
    description: "Coefficients on standardised features, largest first.",
  })
  features: FeatureWeight[];
}

@ObjectType({ description: "A customer's predicted risk of churning, from the latest model." })
export class ChurnRisk {
  @Field(() => Float)
  probability: number;

  @Field(() => RiskBand)
  band: RiskBand;

  @Field(() => ID)
  modelId: string;

  @Field(() => [FeatureWeight], {
    description: "The three features that move this customer's log-odds most.",
  })
  factors: FeatureWeight[];
}

@ObjectType()
export class ChurnPrediction extends ChurnRisk {
  @Field(() => Customer)
  customer: Customer;
}

export const ChurnPredictionConnection = connectionType("ChurnPrediction", ChurnPrediction);

@InputType()
export class ChurnTrainingInput {
  @Field(() => Int, {
    nullable: true,
    description:
      "Days after the cut-off without a purchase that count as churn (when churn is not recorded). @default 90",
  })
  horizonDays?: number | null;

  @Field(() => Date, {
    nullable: true,
    description: "@default now with recorded churn, else now - horizonDays",
  })
  cutoff?: Date | null;

  @Field(() => Int, { nullable: true, description: "Seeds the train/test split. @default 42" })
  seed?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Seconds to wait for the result before returning the RUNNING model to poll. @default 8",
  })
  waitSeconds?: number | null;
}
