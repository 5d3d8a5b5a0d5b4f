import { gunzipSync } from "node:zlib";
import { acceptsGzip, compressBody, COMPRESSION_MIN_BYTES } from "./response-compression";

describe("acceptsGzip", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.5", true],
    ["*", true],
    ["gzip;q=0", false],
    ["deflate, br", false],
    ["", false],
    [undefined, false],
  ])("%s -> %s", (header, expected) => expect(acceptsGzip(header)).toBe(expected));
});

describe("compressBody", () => {
  const large = JSON.stringify({
    data: { rows: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `customer ${i}` })) },
  });

  it("gzips a large body for a client that accepts gzip, and it inflates back to the same text", async () => {
    const sent = await compressBody("gzip, br", large);
    expect(sent.encoding).toBe("gzip");
    expect((sent.body as Buffer).length).toBeLessThan(large.length / 3);
    expect(gunzipSync(sent.body as Buffer).toString("utf8")).toBe(large);
  });

  it("leaves small bodies and clients without gzip alone", async () => {
    expect(await compressBody("gzip", "x".repeat(COMPRESSION_MIN_BYTES - 1))).toEqual({
      body: "x".repeat(COMPRESSION_MIN_BYTES - 1),
    });
    expect(await compressBody(undefined, large)).toEqual({ body: large });
    expect(await compressBody("gzip;q=0", large)).toEqual({ body: large });
  });
});
