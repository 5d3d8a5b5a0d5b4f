// `npm run lint`: ESLint (typescript-eslint's recommended rules) and Prettier's check of the layout.
// `npm run format` rewrites the layout in place.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

const ERROR_CODES =
  "UNAUTHENTICATED|FORBIDDEN|BAD_USER_INPUT|BAD_REQUEST|NOT_FOUND|RATE_LIMITED|LIMIT_EXCEEDED|CONFLICT|SERVICE_UNAVAILABLE|INTERNAL_SERVER_ERROR";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".data/**", "coverage/**", "test/artifacts/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Resolvers, loaders and JSON from the wire are typed where they are read.
      "@typescript-eslint/no-explicit-any": "off",
      "prefer-const": ["error", { destructuring: "all", ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Tests hold the wire's literal codes: they are the contract clients see.
    ignores: ["**/*.test.ts", "test/**"],
    rules: {
      // One way to say an error code: the ErrorCode enum (kit/errors.ts), never a string literal.
      "no-restricted-syntax": [
        "error",
        ...[
          "Property[key.name='code'] > Literal",
          "BinaryExpression > Literal",
          "SwitchCase > Literal",
        ].map((context) => ({
          selector: `${context}[value=/^(${ERROR_CODES})$/]`,
          message: "Use the ErrorCode enum (#kit/errors), not a string literal.",
        })),
      ],
    },
  },
  {
    // The explorer's browser scripts, beside the libraries their pages load first.
    files: ["gateway/src/explorer/*.js"],
    languageOptions: {
      globals: {
        ...globals.browser,
        Chart: "readonly",
        GraphiQL: "readonly",
        React: "readonly",
        ReactDOM: "readonly",
      },
      sourceType: "script",
    },
  },
  prettier,
);
