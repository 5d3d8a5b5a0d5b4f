import { CohortDefinitionCache } from "./cohort-definitions";
import type { CohortDefinition } from "./cohort-rules";

const definition = (id: string) => ({ id }) as unknown as CohortDefinition;

describe("CohortDefinitionCache", () => {
  it("reads an organization's definitions once until they are invalidated", async () => {
    const cache = new CohortDefinitionCache();
    let reads = 0;
    const read = async () => [definition(`v${++reads}`)];
    expect(await cache.get("org", read)).toEqual([definition("v1")]);
    expect(await cache.get("org", read)).toEqual([definition("v1")]);
    expect(await cache.get("other", read)).toEqual([definition("v2")]);
    cache.invalidate("org");
    expect(await cache.get("org", read)).toEqual([definition("v3")]);
    expect(await cache.get("other", read)).toEqual([definition("v2")]);
  });

  it("reads again once an entry is older than its age limit", async () => {
    const cache = new CohortDefinitionCache(0);
    let reads = 0;
    const read = async () => [definition(`v${++reads}`)];
    await cache.get("org", read);
    expect(await cache.get("org", read)).toEqual([definition("v2")]);
  });

  it("does not keep a failed read", async () => {
    const cache = new CohortDefinitionCache();
    await expect(cache.get("org", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await cache.get("org", async () => [definition("after")])).toEqual([
      definition("after"),
    ]);
  });
});
