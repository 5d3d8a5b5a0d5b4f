import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { ApiKeyScope } from "#kit/auth/api-key-scope";
import { requireWriter } from "#kit/auth/guards";
import { createLogger } from "#kit/logger";
import type { AnalyticsContext } from "../../context";
import { customersSubgraphCheck, identify } from "./identify";
import { Identity } from "./identity.type";

const log = createLogger("analytics");

@Resolver()
export class IdentityResolver {
  @Mutation(() => Identity, {
    description:
      "Links an anonymous visitor to a customer: its events, those stored and those to come, count as the customer's in every query (funnels, retention, unique_customers, Customer.stats). Idempotent; an anonymousId already linked to another customer, or a customer your organization does not have, is BAD_USER_INPUT. An API key with EVENTS_WRITE (applications identify at sign-in), or an ANALYST or ADMIN.",
  })
  async identify(
    @Arg("anonymousId", { description: "1 to 128 characters." }) anonymousId: string,
    @Arg("customerId", () => ID) customerId: string,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<Identity> {
    const viewer = requireWriter(ctx.viewer, ApiKeyScope.EVENTS_WRITE);
    const { changed, ...link } = await identify(
      ctx.dataSource,
      viewer.organizationId,
      anonymousId,
      customerId,
      customersSubgraphCheck(ctx.customersUrl, ctx.accessToken!),
    );
    if (changed) {
      // Committed: the organization's reads wait for the rewrite on the read replica, and cached
      // results that counted the visitor's events apart are retired.
      const lsn = await ctx.reads.noteWrite(viewer.organizationId);
      await ctx.realtime
        .publishDataChanged(viewer.organizationId, lsn)
        .catch((error: Error) =>
          log.warn(`could not announce the identified events: ${error.message}`),
        );
    }
    return link;
  }
}
