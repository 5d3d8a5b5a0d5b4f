import { checkTarget, isBlockedAddress, TargetRefused } from "./target-check";

describe("webhook target checks", () => {
  const refused = [
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "febf::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",
  ];
  const allowed = [
    "8.8.8.8",
    "172.32.0.1",
    "172.15.255.255",
    "11.0.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
  ];

  it.each(refused)("refuses %s", (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(allowed)("allows %s", (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it("refuses a URL whose host is a private literal, v4 or v6", async () => {
    for (const url of [
      "http://10.1.1.1/x",
      "https://[::1]:8443/x",
      "http://[fe80::1]/",
      "http://192.168.0.10",
    ])
      await expect(checkTarget(url, { allowPrivate: false })).rejects.toThrow(TargetRefused);
  });

  it("resolves a host name and refuses it when any of its addresses is private", async () => {
    const resolve = async (host: string) =>
      ({
        "mixed.example": ["93.184.216.34", "10.0.0.7"],
        "public.example": ["93.184.216.34", "2606:2800::1"],
      })[host] ?? [];
    await expect(
      checkTarget("https://mixed.example/hook", { allowPrivate: false, resolve }),
    ).rejects.toThrow(/10\.0\.0\.7/);
    await expect(
      checkTarget("https://public.example/hook", { allowPrivate: false, resolve }),
    ).resolves.toBeInstanceOf(URL);
    await expect(
      checkTarget("https://none.example/", { allowPrivate: false, resolve }),
    ).rejects.toThrow(/no address/);
  });

  it("refuses localhost, which the system resolves to loopback", async () => {
    await expect(checkTarget("http://localhost:8080/", { allowPrivate: false })).rejects.toThrow(
      /private, loopback or link-local/,
    );
  });

  it("takes http and https only, without credentials", async () => {
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://x/",
      "not a url",
      "https://u:p@example.com/",
    ])
      await expect(checkTarget(url, { allowPrivate: true })).rejects.toThrow(TargetRefused);
  });

  it("allows private targets when told to", async () => {
    await expect(
      checkTarget("http://127.0.0.1:9/x", { allowPrivate: true }),
    ).resolves.toBeInstanceOf(URL);
  });
});
