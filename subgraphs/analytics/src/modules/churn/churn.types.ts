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
    "An encoded column the model leaves out because another one stands for it (see FeatureWeight.represents).",
})
export class FeatureCorrelation {
  @Field()
  feature: string;

  @Field(() => Float, {
    description:
      "Its Pearson correlation with the feature that stands for it, on the training part: -1 for the other value of a two-valued categorical, beyond 0.98 in magnitude for a near-duplicate. Negative: the weight applies to it with the opposite sign.",
  })
  correlation: number;
}

@ObjectType({
  description:
    "A feature of a churn model with a weight: a model coefficient (ChurnModel.features), or its contribution to one customer's log-odds (ChurnRisk.factors). Features are encoded inputs, each standardised on the training part (z-scores; a one-hot column too), so weights compare across features.",
})
export class FeatureWeight {
  @Field({
    description:
      'The encoded input: "recency", "age", "age missing" (the indicator of a missing age), "gender=female" (a one-hot category), "attributes.plan=pro", ...',
  })
  feature: string;

  @Field(() => Float, {
    description:
      "In ChurnModel.features: the change in log-odds per standard deviation of the feature. In ChurnRisk.factors: the weight times the customer's standardised value, the feature's contribution to the customer's log-odds relative to the average customer of the training part (whose standardised values are all 0).",
  })
  weight: number;

  @Field(() => [FeatureCorrelation], {
    description:
      "The encoded columns left out because this feature stands for them: the other value of a two-valued categorical (which becomes one column), and columns correlated with this one beyond 0.98 in magnitude on the training part (near-duplicates, whose weight would otherwise be split between them at random). This weight is theirs too. Empty for most features.",
  })
  represents: FeatureCorrelation[];
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

  @Field(() => Float, {
    description:
      "The log-odds of churning of the average customer of the training part (every standardised feature 0): with a customer's factors, it adds up to the customer's logOdds.",
  })
  intercept: number;

  @Field(() => [FeatureWeight], {
    description:
      "The model's coefficients, one per encoded feature, largest |weight| first. Each weight is on the standardised feature (the change in log-odds per standard deviation), so magnitudes compare. Constant columns are left out, a two-valued categorical is one column, and of near-duplicate columns (|r| > 0.98) the first is kept and lists the others in represents.",
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

  @Field(() => Float, {
    description:
      "log(probability / (1 - probability)): the model's intercept plus the customer's factors.",
  })
  logOdds: number;

  @Field(() => [FeatureWeight], {
    description:
      "Why this customer scores as it does: each feature's contribution to the log-odds relative to the average customer of the training part, its weight times the customer's standardised value (positive raises the risk). The three largest in magnitude, largest first, then \"(other features)\", the sum of every other feature's contribution, so that the model's intercept plus these weights is logOdds.",
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
