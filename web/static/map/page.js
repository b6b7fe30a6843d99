// What every script of the /map page shares: DOM helpers, the error box, the token and
// /graphql requests. Plain script, no build step; loaded before the page's other scripts.
"use strict";

window.parkgridPage = (() => {
  const TOKEN_KEY = "parkgrid.token";
  const $ = (id) => document.getElementById(id);
  const here = (path) => new URL(path, document.baseURI).href;
  let token = localStorage.getItem(TOKEN_KEY) || "";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  const shownErrors = new Set();

  function showError(message) {
    const text = String(message || "unknown error");
    if (shownErrors.has(text)) return;
    shownErrors.add(text);
    const box = $("errors");
    box.append(el("p", {}, text));
    box.hidden = false;
  }

  function clearErrors() {
    shownErrors.clear();
    $("errors").replaceChildren();
    $("errors").hidden = true;
  }

  function setStatus(id, text, kind) {
    const node = $(id);
    node.textContent = text;
    node.className = `status ${kind || ""}`.trim();
  }

  window.addEventListener("error", (event) => showError(event.message));
  window.addEventListener("unhandledrejection", (event) => {
    showError(event.reason && event.reason.message ? event.reason.message : event.reason);
  });

  class TokenRefused extends Error {}

  function setToken(value) {
    token = value;
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  }

  function authHeaders() {
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  function refused() {
    setStatus("token-status", "令牌被拒绝 · token refused", "bad");
  }

  /** The raw answer of /graphql (data and errors), for callers that read typed errors. */
  async function post(query, variables) {
    const response = await fetch(here("graphql"), {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
    if (response.status === 401) {
      refused();
      throw new TokenRefused("token refused");
    }
    const body = await response.json().catch(() => null);
    if (!body) throw new Error(`GraphQL: HTTP ${response.status}`);
    return body;
  }

  async function graphql(query, variables) {
    const body = await post(query, variables);
    if (body.errors && body.errors.length) {
      throw new Error(body.errors.map((error) => error.message).join("; "));
    }
    return body.data;
  }

  const ALIASES = 25; // fields asked for in one request (the service allows 30 aliases)

  /** One field per item, asked for in batches of aliases: `field(item)` is the field's text
   * (its arguments JSON-encoded by the caller); the answers come back in the items' order. */
  async function aliased(items, field) {
    const answers = [];
    for (let start = 0; start < items.length; start += ALIASES) {
      const batch = items.slice(start, start + ALIASES);
      const found = await graphql(`{ ${batch.map((item, index) => `a${index}: ${field(item)}`).join(" ")} }`, {});
      batch.forEach((_, index) => answers.push(found[`a${index}`] ?? null));
    }
    return answers;
  }

  function transformRequest(url) {
    if (token && url.startsWith(`${window.location.origin}/`)) {
      return { url, headers: authHeaders() };
    }
    return { url };
  }

  /** Whether the token may be used: one the server refuses is dropped (the page goes on
   * anonymous) and "token refused" stays shown. */
  async function checkToken() {
    if (!token) {
      setStatus("token-status", "匿名访问 · anonymous", "");
      return true;
    }
    try {
      await graphql("{ __typename }", {});
      setStatus("token-status", "已登录 · signed in", "good");
      return true;
    } catch (error) {
      if (!(error instanceof TokenRefused)) {
        setStatus("token-status", "令牌未验证 · token not checked", "bad");
        showError(`token check: ${error.message}`);
        return true;
      }
      setToken("");
      return false;
    }
  }

  return {
    $, here, el, showError, clearErrors, setStatus, TokenRefused, authHeaders, refused,
    post, graphql, aliased, transformRequest, checkToken, setToken, token: () => token,
  };
})();
