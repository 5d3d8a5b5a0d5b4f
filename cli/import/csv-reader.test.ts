import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { estimateDataRows } from "./count-rows";
import { readCsv, type CsvItem } from "./csv-reader";
import { ImportError } from "./errors";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "csv-reader-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fileWith(content: string): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, content);
  return file;
}

async function readAll(file: string, delimiter = ","): Promise<CsvItem[]> {
  const items: CsvItem[] = [];
  for await (const item of readCsv(file, delimiter)) items.push(item);
  return items;
}

describe("readCsv", () => {
  it("yields the header, then each row with the line it starts on, past a BOM, blank lines and quoted newlines", async () => {
    const file = await fileWith('\ufeffid,Name\r\n1,Ada\r\n\r\n2,"Grace\r\nHopper"\r\n3,Alan\r\n');
    expect(await readAll(file)).toEqual([
      { kind: "header", columns: ["id", "Name"] },
      { kind: "row", line: 2, values: { id: "1", Name: "Ada" } },
      { kind: "row", line: 4, values: { id: "2", Name: "Grace\r\nHopper" } },
      { kind: "row", line: 6, values: { id: "3", Name: "Alan" } },
    ]);
  });

  it("numbers lines the same with \\n line ends, several blank lines and blank lines before the header", async () => {
    const file = await fileWith('\n\nid,Name\n1,Ada\n\n\n2,"Grace\nBrewster\nHopper"\n3,Alan');
    const lines = (await readAll(file)).flatMap((item) =>
      item.kind === "row" ? [[item.values.id, item.line]] : [],
    );
    expect(lines).toEqual([
      ["1", 4],
      ["2", 7],
      ["3", 10],
    ]);
  });

  it("accepts short and long rows and another delimiter", async () => {
    const file = await fileWith("id;Name;Plan\n1;Ada\n2;Grace;pro;extra\n");
    expect(await readAll(file, ";")).toEqual([
      { kind: "header", columns: ["id", "Name", "Plan"] },
      { kind: "row", line: 2, values: { id: "1", Name: "Ada" } },
      { kind: "row", line: 3, values: { id: "2", Name: "Grace", Plan: "pro" } },
    ]);
  });

  it("yields the header of a file without rows, and nothing for an empty file", async () => {
    expect(await readAll(await fileWith("id,Name\n"))).toEqual([
      { kind: "header", columns: ["id", "Name"] },
    ]);
    expect(await readAll(await fileWith(""))).toEqual([]);
  });

  it("throws an ImportError naming the file for invalid CSV", async () => {
    const file = await fileWith('id,Name\n1,"Ada\n');
    await expect(readAll(file)).rejects.toThrow(ImportError);
    await expect(readAll(file)).rejects.toThrow(`${file}: Quote Not Closed`);
  });

  it("stops reading when the consumer stops", async () => {
    const file = await fileWith(`id\n${Array.from({ length: 10_000 }, (_, i) => i).join("\n")}\n`);
    let rows = 0;
    for await (const item of readCsv(file, ",")) {
      if (item.kind === "row" && ++rows === 3) break;
    }
    expect(rows).toBe(3);
  });
});

describe("estimateDataRows", () => {
  it("counts lines minus the header, with or without a final newline", async () => {
    expect(await estimateDataRows(await fileWith("id\n1\n2\n3\n"))).toBe(3);
    expect(await estimateDataRows(await fileWith("id\n1\n2\n3"))).toBe(3);
    expect(await estimateDataRows(await fileWith("id\n"))).toBe(0);
    expect(await estimateDataRows(await fileWith(""))).toBe(0);
  });
});
