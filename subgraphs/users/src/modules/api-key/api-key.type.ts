import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { ApiKeyScope } from "#kit/auth/api-key-scope";

registerEnumType(ApiKeyScope, {
  name: "ApiKeyScope",
  description:
    "EVENTS_WRITE: only trackEvents. READ: only queries. CUSTOMERS_WRITE: only upsertCustomers.",
});

@ObjectType({
  description: "An application's credential, sent as `Authorization: ApiKey <secret>`.",
})
export class ApiKey {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({
    description:
      "The start of the secret, to tell keys apart; the secret itself is never shown again.",
  })
  prefix: string;

  @Field(() => [ApiKeyScope])
  scopes: ApiKeyScope[];

  @Field()
  createdAt: Date;

  @Field(() => Date, {
    nullable: true,
    description:
      "When the key last authenticated a request (kept to the minute: written at most once a minute).",
  })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt: Date | null;
}

@ObjectType({
  description: "A new API key and its secret, shown this once: only a hash is stored.",
})
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey: ApiKey;

  @Field()
  secret: string;
}
