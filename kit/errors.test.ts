import { GraphQLError } from "graphql";
import { badUserInput, formatError } from "./errors";

describe("formatError", () => {
  it("passes errors with a public code through unchanged", () => {
    const error = badUserInput("'first' is too large", "first");
    expect(
      formatError({ message: error.message, extensions: { ...error.extensions } }, error),
    ).toEqual({
      message: "'first' is too large",
      extensions: { code: "BAD_USER_INPUT", field: "first" },
    });
  });

  it("masks anything else as INTERNAL_SERVER_ERROR without SQL or stack in production", () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const original = new Error('relation "customers" does not exist at SELECT * FROM customers');
      const wrapped = new GraphQLError(original.message, { originalError: original });
      const formatted = formatError(
        {
          message: wrapped.message,
          extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at x"] },
        },
        wrapped,
      );
      expect(formatted).toEqual({
        message: "Internal server error.",
        extensions: { code: "INTERNAL_SERVER_ERROR" },
      });
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it("drops extensions.detail in production from any error, such as one a subgraph outside production passed on", () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const passedOn = new GraphQLError("Internal server error.", {
        extensions: {
          code: "SERVICE_UNAVAILABLE",
          detail: "connect ECONNREFUSED 10.0.0.7:5432",
          serviceName: "analytics",
        },
      });
      expect(
        formatError(
          { message: passedOn.message, extensions: { ...passedOn.extensions } },
          passedOn,
        ),
      ).toEqual({
        message: "Internal server error.",
        extensions: { code: "SERVICE_UNAVAILABLE", serviceName: "analytics" },
      });
      const internal = new GraphQLError("Internal server error.", {
        extensions: { code: "INTERNAL_SERVER_ERROR", detail: "relation does not exist" },
      });
      expect(
        formatError({ message: internal.message, extensions: { ...internal.extensions } }, internal)
          .extensions,
      ).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it("tells a client the database is unavailable when the driver could not connect", () => {
    const original = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    const formatted = formatError(
      { message: original.message },
      new GraphQLError(original.message, { originalError: original }),
    );
    expect(formatted.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(formatted.message).not.toContain("127.0.0.1");
  });

  it("says a subgraph timed out, with a stable code, instead of an internal error", () => {
    const original = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const formatted = formatError(
      { message: original.message },
      new GraphQLError(original.message, { originalError: original as unknown as Error }),
    );
    expect(formatted.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(formatted.message).toMatch(/did not answer in time/);
  });
});

import { isConnectionError } from "./errors";

describe("isConnectionError", () => {
  it("recognises a server that went away, with or without a code", () => {
    expect(isConnectionError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(
      true,
    );
    expect(
      isConnectionError(
        Object.assign(new Error("terminating connection due to administrator command"), {
          code: "57P01",
        }),
      ),
    ).toBe(true);
    expect(isConnectionError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(
      isConnectionError(
        new Error("Client has encountered a connection error and is not queryable"),
      ),
    ).toBe(true);
    expect(isConnectionError(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(
      false,
    );
    expect(isConnectionError(new Error("something else"))).toBe(false);
  });
});
