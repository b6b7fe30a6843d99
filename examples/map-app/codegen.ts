// Types for the app's documents, generated from the service's committed SDL: a change to the
// schema that breaks a query here fails `tsc --noEmit` (and the test that runs it).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          GeoJSON: { input: "unknown", output: "GeoJSON.Geometry" },
          DateTime: "string",
          Date: "string",
          JSON: "unknown",
          Upload: "File",
        },
      },
    },
  },
};

export default config;
