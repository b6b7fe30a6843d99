// PostGraphile v4, the peer of the parkgrid benchmark (python -m bench.run --peer).
//
//   DATABASE_URL=postgres://... PORT=5678 WORKERS=3 SCHEMAS=public,bench_peer node server.js
//
// The primary forks WORKERS processes (node's cluster module); each one mounts postgraphile
// as middleware on a plain http server listening on 127.0.0.1:PORT (the primary shares the
// socket). The primary prints "ready" once every worker has built its schema. Session
// settings come from PGOPTIONS (node-postgres reads it), as the bench sets it for both servers.
// EXPORT_SCHEMA=path makes the first worker write its GraphQL schema there.
"use strict";

const cluster = require("node:cluster");
const http = require("node:http");
const { postgraphile } = require("postgraphile");
const PostgisPlugin = require("@graphile/postgis").default;
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");
const ConnectionFilterPostgisPlugin = require("postgraphile-plugin-connection-filter-postgis");

const workers = Number(process.env.WORKERS || 3);
const port = Number(process.env.PORT || 5678);
const schemas = (process.env.SCHEMAS || "public").split(",");

function options(exportSchema) {
  return {
    appendPlugins: [PostgisPlugin, ConnectionFilterPlugin, ConnectionFilterPostgisPlugin],
    // read only, as the benchmark measures reads
    disableDefaultMutations: true,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    ignoreRBAC: false,
    legacyRelations: "omit",
    // production: no GraphiQL, no schema watching, no query log, no extended errors
    graphiql: false,
    watchPg: false,
    disableQueryLog: true,
    showErrorStack: false,
    extendedErrors: [],
    enableCors: false,
    enableQueryBatching: false,
    subscriptions: false,
    exportGqlSchemaPath: exportSchema || undefined,
    sortExport: true,
  };
}

if (cluster.isPrimary) {
  let ready = 0;
  for (let n = 0; n < workers; n += 1) {
    const worker = cluster.fork({ WORKER_INDEX: String(n) });
    worker.on("message", (message) => {
      if (message === "ready" && ++ready === workers) {
        console.log(`ready: ${workers} workers on http://127.0.0.1:${port}/graphql`);
      }
    });
  }
  cluster.on("exit", (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal || code})`);
    if (!stopping) process.exit(1);
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.kill("SIGTERM");
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  const first = process.env.WORKER_INDEX === "0";
  const middleware = postgraphile(
    process.env.DATABASE_URL,
    schemas,
    options(first ? process.env.EXPORT_SCHEMA : ""),
  );
  const server = http.createServer(middleware);
  server.keepAliveTimeout = 65000;
  server.listen(port, "127.0.0.1", async () => {
    await middleware.getGraphQLSchema();
    process.send("ready");
  });
  process.on("SIGTERM", () => {
    server.close();
    middleware.release().finally(() => process.exit(0));
  });
}
