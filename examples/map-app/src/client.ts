// The GraphQL client: urql over HTTP (persisted queries by hash with GET, when the browser can
// hash), graphql-ws for subscriptions; both carry the token when one is signed in.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createSocket, type Client as Socket } from "graphql-ws";

export interface Connection {
  client: Client;
  socket: Socket;
}

function authorization(token: string | null): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function endpoint(): URL {
  return new URL("/graphql", window.location.href);
}

export function connect(token: string | null): Connection {
  const url = endpoint();
  const socketUrl = new URL(url);
  socketUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = createSocket({
    url: socketUrl.href,
    connectionParams: () => authorization(token),
    lazy: true,
  });
  const hashing = Boolean(globalThis.crypto?.subtle); // only in secure contexts
  const client = new Client({
    url: url.href,
    preferGetMethod: false,
    fetchOptions: (): RequestInit => ({ headers: authorization(token) }),
    exchanges: [
      cacheExchange,
      ...(hashing ? [persistedExchange({ preferGetForPersistedQueries: true })] : []),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const dispose = socket.subscribe(input, sink);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
  });
  return { client, socket };
}
