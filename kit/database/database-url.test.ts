import { databaseUrlFromEnv, redactUrl, withDatabase } from "./database-url";

describe("databaseUrlFromEnv", () => {
  it("prefers the service's own variable", () => {
    expect(
      databaseUrlFromEnv("users", {
        USERS_DATABASE_URL: "postgres://u@a/x",
        DATABASE_URL: "postgres://u@b/y",
      }),
    ).toBe("postgres://u@a/x");
  });

  it("uses the database named after the service on DATABASE_URL's server", () => {
    expect(
      databaseUrlFromEnv("analytics", {
        DATABASE_URL: "postgres://u:p@db:5432/anything?sslmode=require",
      }),
    ).toBe("postgres://u:p@db:5432/analytics?sslmode=require");
  });

  it("returns undefined when nothing is configured (the embedded server is used)", () => {
    expect(databaseUrlFromEnv("customers", {})).toBeUndefined();
  });
});

describe("redactUrl", () => {
  it("hides the password and keeps the rest", () => {
    expect(redactUrl("postgres://app:hunter2@db.internal:6543/users")).toBe(
      "postgres://app:***@db.internal:6543/users",
    );
  });

  it("never echoes an unparseable URL, which may hold a password", () => {
    expect(redactUrl("not a url with secret")).toBe("<unparseable database URL>");
  });

  it("replaces only the path in withDatabase", () => {
    expect(withDatabase("postgres://a:b@h:1/postgres", "users")).toBe("postgres://a:b@h:1/users");
  });
});
