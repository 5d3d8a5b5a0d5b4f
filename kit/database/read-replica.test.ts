import { parseLsn } from "./read-replica";

describe("parseLsn", () => {
  it("orders WAL positions as PostgreSQL does (the part after the slash is 32 bits)", () => {
    expect(parseLsn("0/0")).toBe(0n);
    expect(parseLsn("0/3000AF8")).toBe(0x3000af8n);
    expect(parseLsn("16/B374D848")).toBe((0x16n << 32n) | 0xb374d848n);
    // 1/0 comes after 0/FFFFFFFF, although "0/FFFFFFFF" sorts after "1/0" as text.
    expect(parseLsn("1/0") > parseLsn("0/FFFFFFFF")).toBe(true);
    expect(parseLsn("0/A") < parseLsn("0/10")).toBe(true);
  });

  it("refuses what is not a pg_lsn", () => {
    for (const text of ["", "16B374D848", "0/", "/1", "0/123456789", "g/1", "0/1 "])
      expect(() => parseLsn(text)).toThrow(TypeError);
  });
});
