import type { ClassType } from "type-graphql";
import { Directive, Field, Int, ObjectType } from "type-graphql";

@Directive("@shareable")
@ObjectType({ description: "Where a page ends and whether there is another after it." })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, {
    nullable: true,
    description: "Pass as `after` to read the next page; null on an empty page.",
  })
  endCursor: string | null;
}

/** The parts of a Relay connection, before the GraphQL type is chosen. */
export interface Page<TNode> {
  edges: { cursor: string; node: TNode }[];
  pageInfo: PageInfo;
  /** The count; may be a getter that counts only when a client asks for `totalCount`. */
  totalCount: number | Promise<number>;
}

/**
 * Declares `<Name>Edge` and `<Name>Connection` for a node type, Relay-style
 * (`edges { cursor node } pageInfo { hasNextPage endCursor } totalCount`). Shareable, so another
 * subgraph may return the same connection type.
 */
export function connectionType<TNode extends object>(name: string, node: ClassType<TNode>) {
  @Directive("@shareable")
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor: string;

    @Field(() => node)
    node: TNode;
  }

  @Directive("@shareable")
  @ObjectType(`${name}Connection`, { description: `A page of ${name} objects.` })
  class Connection implements Page<TNode> {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, { description: "How many match the filter in all, across every page." })
    totalCount: number | Promise<number>;
  }
  return Connection;
}
