import { hashPassword, verifyPassword } from "./password";

describe("passwords", () => {
  it("are hashed with argon2id at OWASP's parameters", async () => {
    const hashed = await hashPassword("correct horse battery staple");
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hashed).not.toContain("correct horse");
  });

  it("verify only the right password", async () => {
    const hashed = await hashPassword("s3cret-passphrase");
    await expect(verifyPassword(hashed, "s3cret-passphrase")).resolves.toBe(true);
    await expect(verifyPassword(hashed, "s3cret-passphrasE")).resolves.toBe(false);
  });

  it("answer false for an unknown account after doing the same work", async () => {
    await expect(verifyPassword(undefined, "anything")).resolves.toBe(false);
  });
});
