// GraphiQL on this service's /graphql, from the files the service itself serves (no CDN), so
// the IDE works on a park network without internet. Queries go to the page's own URL; headers
// entered in the "Headers" tab (a bearer token) are kept in this browser's localStorage.
(function () {
  "use strict";

  const EXAMPLE = `# parkgrid's GraphQL API. Run with Ctrl-Enter; Ctrl-Space completes; the docs are
# in the book icon on the left. To read as a signed-in user, open "Headers" below and enter
#   {"Authorization": "Bearer pgt_…"}
{
  parks {
    totalCount
    nodes { code name }
  }
}
`;

  const url = window.location.href.split(/[?#]/)[0];
  const fetcher = GraphiQL.createFetcher({ url: url });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: EXAMPLE,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    }),
  );
})();
