import { embeddedServerSettings } from "./embedded-postgres";

const GB = 1_073_741_824;

describe("embeddedServerSettings", () => {
  it("sizes shared buffers, cache and work memory to the machine, within bounds", () => {
    expect(embeddedServerSettings(24 * GB, {})).toEqual({
      shared_buffers: "4096MB",
      effective_cache_size: "12288MB",
      work_mem: "30MB",
      max_wal_size: "4GB",
    });
    expect(embeddedServerSettings(8 * GB, {})).toMatchObject({
      shared_buffers: "2048MB",
      effective_cache_size: "4096MB",
      work_mem: "10MB",
    });
    // A small machine keeps PostgreSQL's own floor.
    expect(embeddedServerSettings(GB / 4, {})).toMatchObject({
      shared_buffers: "128MB",
      work_mem: "4MB",
    });
  });

  it("takes an EMBEDDED_POSTGRES_<NAME> override for each", () => {
    expect(
      embeddedServerSettings(24 * GB, {
        EMBEDDED_POSTGRES_SHARED_BUFFERS: "256MB",
        EMBEDDED_POSTGRES_WORK_MEM: "8MB",
      }),
    ).toMatchObject({ shared_buffers: "256MB", work_mem: "8MB", max_wal_size: "4GB" });
  });
});
