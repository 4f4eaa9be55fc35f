import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed operations from the gateway's schema (schema.graphql, written by `python -m gateway.sdl`).
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: {
    "src/gql/": {
      preset: "client",
      config: { enumsAsTypes: true, useTypeImports: true, scalars: { JSON: "unknown", ID: "string", Long: "number", DateTime: "string" } },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
