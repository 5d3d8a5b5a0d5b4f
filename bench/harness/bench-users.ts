import { graphql } from "./http-client";
import type { BenchOrganization } from "./organization";

/** A user of a benchmark's organization: how it signs in. */
export interface BenchUser {
  email: string;
  password: string;
}

const PASSWORD = "bench-password-0123";

/**
 * The organization's first user (its ADMIN) and `count - 1` more, created by the ADMIN with
 * `createUser` (as VIEWERs, the role a dashboard reader has): `count` distinct users of one
 * organization, each to sign in with a token of its own.
 */
export async function createBenchUsers(
  gatewayUrl: string,
  organization: BenchOrganization,
  count: number,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [{ email: organization.email, password: organization.password }];
  for (let i = 1; i < count; i++) {
    const email = organization.email.replace("@", `+reader${i}@`);
    await graphql(
      gatewayUrl,
      `
        mutation CreateReader($input: CreateUserInput!) {
          createUser(input: $input) {
            id
          }
        }
      `,
      { input: { email, name: `Reader ${i}`, password: PASSWORD, role: "VIEWER" } },
      `Bearer ${organization.accessToken}`,
    );
    users.push({ email, password: PASSWORD });
  }
  return users;
}

/** A fresh access token for each user (`login`), in order; valid 15 minutes. */
export async function signInAll(gatewayUrl: string, users: BenchUser[]): Promise<string[]> {
  const tokens: string[] = [];
  for (const user of users) {
    const data = await graphql<{ login: { accessToken: string } }>(
      gatewayUrl,
      `
        mutation Login($email: String!, $password: String!) {
          login(email: $email, password: $password) {
            accessToken
          }
        }
      `,
      { email: user.email, password: user.password },
    );
    tokens.push(data.login.accessToken);
  }
  return tokens;
}
