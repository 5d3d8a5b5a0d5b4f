import { runSeed } from "../cli/seed/main";
import { useSupergraph } from "./support/supergraph";

const file = useSupergraph({ owner: true });

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
      env: {},
    } as never,
  };
}

describe("npm run seed", () => {
  it("loads generated customers and purchases through the gateway, and a second run stores nothing new", async () => {
    const args = [
      "--customers",
      "40",
      "--events",
      "300",
      "--seed",
      "7",
      "--url",
      file.stack.gateway.url,
      "--token",
      file.owner.accessToken,
    ];
    const first = io();
    expect(await runSeed(args, first.io)).toBe(0);
    expect(first.err.join("")).toContain("generating 300 sales lines for 40 customers");
    const counts = async () => {
      const { body } = await file.request(
        `{ customers { totalCount } aggregate(metrics: ["events"], from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z") { values { value } } }`,
        { token: file.owner.accessToken },
      );
      return {
        customers: body.data!.customers.totalCount,
        events: body.data!.aggregate[0].values[0].value,
      };
    };
    const after = await counts();
    expect(after.customers).toBeGreaterThan(5);
    expect(after.customers).toBeLessThanOrEqual(40);
    // One event per invoice: 300 lines in invoices of 1 to 40 lines.
    expect(after.events).toBeGreaterThan(300 / 40);
    expect(after.events).toBeLessThan(300 / 5);
    const second = io();
    expect(await runSeed(args, second.io)).toBe(0);
    expect(await counts()).toEqual(after);
  });

  it("refuses bad sizes with a usage error", async () => {
    const bad = io();
    expect(await runSeed(["--customers", "0"], bad.io)).toBe(2);
    expect(bad.err.join("")).toContain("--customers takes a positive whole number");
    const help = io();
    expect(await runSeed(["--help"], help.io)).toBe(0);
    expect(help.out.join("")).toContain("Usage: npm run seed");
  });
});
