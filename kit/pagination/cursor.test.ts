import { GraphQLError } from "graphql";
import { decodeCursor, encodeCursor, pageSize } from "./cursor";

describe("cursors", () => {
  it("round-trip the sort key", () => {
    const values = ["2026-01-02T03:04:05.000Z", "0b9e6a1e-8f0c-4b55-9d5e-1a2b3c4d5e6f"];
    expect(decodeCursor(encodeCursor(values), 2)).toEqual(values);
  });

  it.each(["", "garbage", encodeCursor(["only-one"]), Buffer.from("{}").toString("base64url")])(
    "reject %p with BAD_USER_INPUT",
    (cursor) => {
      expect(() => decodeCursor(cursor, 2)).toThrow(GraphQLError);
      try {
        decodeCursor(cursor, 2);
      } catch (error) {
        expect((error as GraphQLError).extensions.code).toBe("BAD_USER_INPUT");
      }
    },
  );
});

describe("pageSize", () => {
  it("defaults, accepts the cap, and refuses above it or below 1", () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow(/at most 100/);
    expect(() => pageSize(0)).toThrow(/positive integer/);
  });
});
