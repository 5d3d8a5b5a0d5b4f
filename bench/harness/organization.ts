import { randomBytes } from "node:crypto";
import { graphql } from "./http-client";

/** A tenant signed up for a benchmark, with its first user (an ADMIN). */
export interface BenchOrganization {
  organizationId: string;
  email: string;
  password: string;
  /** The ADMIN's access token from `signUp` (valid 15 minutes). */
  accessToken: string;
}

const PASSWORD = "bench-password-0123";

/**
 * Signs up a new organization through the gateway (`signUp`); its name and email are unique per
 * call.
 */
export async function signUpOrganization(
  gatewayUrl: string,
  label: string,
): Promise<BenchOrganization> {
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  const email = `bench-${label}-${suffix}@bench.test`;
  const data = await graphql<{
    signUp: { accessToken: string; user: { organization: { id: string } } };
  }>(
    gatewayUrl,
    `
      mutation SignUp($input: SignUpInput!) {
        signUp(input: $input) {
          accessToken
          user {
            organization {
              id
            }
          }
        }
      }
    `,
    {
      input: {
        organizationName: `Bench ${label} ${suffix}`,
        name: `Bench ${label}`,
        email,
        password: PASSWORD,
      },
    },
  );
  return {
    organizationId: data.signUp.user.organization.id,
    email,
    password: PASSWORD,
    accessToken: data.signUp.accessToken,
  };
}

/** A fresh access token for the organization's user (`login`), e.g. before a long measurement. */
export async function login(gatewayUrl: string, organization: BenchOrganization): Promise<string> {
  const data = await graphql<{ login: { accessToken: string } }>(
    gatewayUrl,
    `
      mutation Login($email: String!, $password: String!) {
        login(email: $email, password: $password) {
          accessToken
        }
      }
    `,
    { email: organization.email, password: organization.password },
  );
  return data.login.accessToken;
}

/** Creates an API key (`createApiKey`) as the organization's ADMIN and returns its secret. */
export async function createApiKey(
  gatewayUrl: string,
  accessToken: string,
  name: string,
  scopes: string[],
): Promise<string> {
  const data = await graphql<{ createApiKey: { secret: string } }>(
    gatewayUrl,
    `
      mutation CreateKey($name: String!, $scopes: [ApiKeyScope!]!) {
        createApiKey(name: $name, scopes: $scopes) {
          secret
        }
      }
    `,
    { name, scopes },
    `Bearer ${accessToken}`,
  );
  return data.createApiKey.secret;
}
