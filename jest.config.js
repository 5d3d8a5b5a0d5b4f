// `npm test`: unit tests beside the code (*.test.ts) and end-to-end tests in test/ (*.e2e.test.ts).
// test/support/global-setup.ts starts a real PostgreSQL (embedded, or TEST_DATABASE_URL's server)
// once for the run, migrates it and loads the demo data; each e2e file gets its supergraph from
// test/support/supergraph.ts (useSupergraph).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: [
    "<rootDir>/gateway",
    "<rootDir>/subgraphs",
    "<rootDir>/kit",
    "<rootDir>/dev",
    "<rootDir>/stack",
    "<rootDir>/cli",
    "<rootDir>/bench",
    "<rootDir>/test",
  ],
  // package.json "imports": the shared kit and the dev-only folder by name, not by climbing ../
  moduleNameMapper: { "^#(kit|dev)/(.*)$": "<rootDir>/$1/$2" },
  testMatch: ["**/*.test.ts"],
  transform: {
    // ts-jest emits the decorator metadata type-graphql and TypeORM read at run time.
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }],
  },
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  setupFiles: ["reflect-metadata", "<rootDir>/test/support/test-environment.ts"],
  testTimeout: 60_000,
  maxWorkers: 2,
};
