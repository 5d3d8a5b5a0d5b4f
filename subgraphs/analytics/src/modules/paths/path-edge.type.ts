import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({
  description: "One move of the paths: how many paths went from source to target at step.",
})
export class PathEdge {
  @Field(() => Int, {
    description: "1 for the first move of a path (its first type to its second).",
  })
  step: number;

  @Field({ description: "The event type moved from." })
  source: string;

  @Field({ description: "The event type moved to." })
  target: string;

  @Field(() => Int, { description: "Paths taking this move at this step." })
  count: number;
}
