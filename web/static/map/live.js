// Live updates of the /map page: GraphQL subscriptions over WebSocket (graphql-transport-ws,
// through the vendored graphql-ws client), a "live" indicator, the park's counts and a feed of
// the latest changes. What a change touches is fetched again, and only that: the kept tiles
// under a grid whose counts changed, the enterprise tiles at a point, the open grid's details.
// Plain script, no build step; map.js starts it with the page's hooks (`parkgridLive.start`).
"use strict";

window.parkgridLive = (() => {
  const FEED_LENGTH = 8;
  const OFFLINE_AFTER = 3; // failed attempts in a row before "offline" (still retrying)
  const BACKOFF_MS = [500, 30_000]; // the first and the longest pause before reconnecting
  const DETAILS_DELAY_MS = 250; // changes within this time share one details request
  const TOKEN_CLOSES = [4401, 4403]; // revoked or expired since, refused at connection_init
  const MISSED_CLOSE = 4410; // too much was missed to replay: query afresh, subscribe anew
  const STATES = {
    connecting: "连接中 · connecting",
    live: "实时 · live",
    reconnecting: "重连中 · reconnecting",
    offline: "离线 · offline, retrying",
  };
  const ACTIONS = {
    reported: "上报 reported", status_changed: "状态 status", assigned: "交办 assigned",
    commented: "批注 commented", outcome_recorded: "成效 outcome",
  };
  const TOTALS_QUERY = `{ zones(first: 500) { nodes {
    code enterpriseCount openIssueCount overdueIssueCount } } }`;
  const SUBSCRIPTIONS = {
    counts: `subscription { areaCountsChanged {
      eventId
      grid { code bbox enterpriseCount openIssueCount overdueIssueCount }
      zone { code enterpriseCount openIssueCount overdueIssueCount } } }`,
    issues: `subscription Issues($since: ID) { issueChanged(since: $since) {
      eventId event { action }
      issue { id title status enterprise { name grid { code } } } } }`,
    visits: `subscription Visits($since: ID) { visitLogged(since: $since) {
      eventId visit { duties enterprise { name grid { code } } } } }`,
    register: `subscription Register($since: ID) { registerChanged(since: $since) {
      eventId subject
      enterprise { name location grid { code bbox } }
      grid { code } zone { code } park { code }
      assignment { role grid { code } enterprise { grid { code } } } } }`,
  };
  const REPLAYED = ["issues", "visits", "register"]; // the ones that take `since`

  const $ = (id) => document.getElementById(id);

  // ---- which tiles a change touches -----------------------------------------------------------

  const BUFFER = 64 / 4096; // a tile carries features this far (of its width) past each edge

  function tileX(lon, n) { return ((lon + 180) / 360) * n; }
  function tileY(lat, n) {
    const r = (Math.max(-85.05, Math.min(85.05, lat)) * Math.PI) / 180;
    return ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n;
  }

  /** The tiles of zoom z whose area, buffer included, meets bbox [w, s, e, n]. */
  function tilesOver(bbox, z) {
    const n = 2 ** z;
    const clamp = (v) => Math.max(0, Math.min(n - 1, Math.floor(v)));
    const [x0, x1] = [clamp(tileX(bbox[0], n) - BUFFER), clamp(tileX(bbox[2], n) + BUFFER)];
    const [y0, y1] = [clamp(tileY(bbox[3], n) - BUFFER), clamp(tileY(bbox[1], n) + BUFFER)];
    const ids = [];
    for (let x = x0; x <= x1; x += 1) for (let y = y0; y <= y1; y += 1) ids.push({ z, x, y });
    return ids;
  }

  function touches(canonical, bbox) {
    const n = 2 ** canonical.z;
    const { x, y } = canonical;
    return tileX(bbox[2], n) + BUFFER >= x && tileX(bbox[0], n) - BUFFER <= x + 1
      && tileY(bbox[1], n) + BUFFER >= y && tileY(bbox[3], n) - BUFFER <= y + 1;
  }

  /** Fetch again the tiles of `source` over `bbox`: those in view now (at the zooms drawn),
   * and forget those MapLibre keeps out of view, so panning back fetches them anew. Tiles
   * carry ETags: an unchanged one comes back as a bodiless 304. */
  function refreshArea(map, source, bbox) {
    const tiles = map.getSource(source);
    if (!tiles || !bbox) return;
    const min = tiles.minzoom ?? 0;
    const max = tiles.maxzoom ?? 22;
    const drawn = Math.max(min, Math.min(max, Math.floor(map.getZoom())));
    const ids = [];
    for (let z = Math.max(min, drawn - 1); z <= Math.min(max, drawn + 1); z += 1) {
      ids.push(...tilesOver(bbox, z));
    }
    if (ids.length > 2000) return refreshAll(map, source);
    map.refreshTiles(source, ids);
    // MapLibre has no public call to drop kept tiles of an area; its out-of-view cache is
    // reached where this (pinned, vendored) version keeps it, else everything is refreshed.
    const manager = map.style && (map.style.tileManagers || map.style.sourceCaches || {})[source];
    const kept = manager && manager._outOfViewCache;
    if (kept && typeof kept.filter === "function") {
      kept.filter((tile) => !touches(tile.tileID.canonical, bbox));
    } else {
      refreshAll(map, source);
    }
  }

  function refreshAll(map, source) {
    if (map.getSource(source)) map.refreshTiles(source);
  }

  function pointBox(location) {
    const [lon, lat] = location.coordinates;
    return [lon, lat, lon, lat];
  }

  // ---- the page's parts ---------------------------------------------------------------------

  function showState(state, detail) {
    const node = $("live");
    node.dataset.state = state;
    $("live-text").textContent = detail ? `${STATES[state]} · ${detail}` : STATES[state];
  }

  function feedEntry(eventId, ...parts) {
    const list = $("live-feed");
    if (list.querySelector(`[data-event-id="${eventId}"]`)) return;
    const time = new Date().toLocaleTimeString("zh-CN", { hour12: false });
    const item = document.createElement("li");
    item.dataset.eventId = eventId;
    item.textContent = `${time} #${eventId} ${parts.filter(Boolean).join(" · ")}`;
    list.prepend(item);
    while (list.children.length > FEED_LENGTH) list.lastElementChild.remove();
  }

  /** The counts of the grid shown in the details panel, as a live update gives them. */
  function showCounts(grid) {
    const fields = { "enterprise-count": grid.enterpriseCount,
      "open-issue-count": grid.openIssueCount, "overdue-issue-count": grid.overdueIssueCount };
    for (const [field, value] of Object.entries(fields)) {
      const node = document.querySelector(`#details [data-field=${field}]`);
      if (node) node.textContent = value;
    }
  }

  const zoneCounts = new Map();

  function showTotals() {
    let enterprises = 0, open = 0, overdue = 0;
    for (const zone of zoneCounts.values()) {
      enterprises += zone.enterpriseCount;
      open += zone.openIssueCount;
      overdue += zone.overdueIssueCount;
    }
    const node = $("live-totals");
    node.dataset.openIssues = open;
    node.dataset.overdueIssues = overdue;
    node.textContent = `全部 all: 企业 enterprises ${enterprises} · 未办结 open ${open}`
      + ` · 逾期 overdue ${overdue}`;
  }

  // ---- the connection -------------------------------------------------------------------------

  class Live {
    constructor(page) {
      this.page = page;
      this.client = null;
      this.disposers = [];
      this.payloads = {};
      this.failures = 0;
      this.connections = 0;
      this.lastEventId = null; // the highest event id any subscription delivered
      this.detailsTimer = null;
    }

    start() {
      const { graphqlWs } = window;
      if (!graphqlWs) {
        showState("offline", "graphql-ws did not load");
        return;
      }
      showState("connecting");
      this.loadTotals();
      this.client = graphqlWs.createClient({
        url: this.page.here("graphql").replace(/^http/, "ws"),
        connectionParams: () => {
          const token = this.page.token();
          return token ? { Authorization: `Bearer ${token}` } : {};
        },
        lazy: false,
        onNonLazyError: () => {},
        keepAlive: 20_000, // a ping of ours too: a dead connection shows within seconds
        retryAttempts: Infinity,
        retryWait: (retries) => new Promise((resolve) => {
          const pause = Math.min(BACKOFF_MS[0] * 2 ** retries, BACKOFF_MS[1]);
          setTimeout(resolve, pause * (0.75 + Math.random() / 2));
        }),
        shouldRetry: (event) => !(event && TOKEN_CLOSES.includes(event.code)),
        on: {
          connecting: (retrying) => { if (retrying) this.failures += 1; },
          connected: () => this.connected(),
          closed: (event) => this.closed(event),
        },
      });
      for (const name of Object.keys(SUBSCRIPTIONS)) this.subscribe(name);
    }

    stop() {
      for (const dispose of this.disposers) dispose();
      this.disposers = [];
      if (this.client) this.client.dispose();
      this.client = null;
      clearTimeout(this.detailsTimer);
    }

    /** One subscription. graphql-ws sends the same payload again after every reconnect, so
     * keeping `since` in it current makes the server replay exactly what was missed. */
    subscribe(name) {
      const payload = { query: SUBSCRIPTIONS[name], variables: {} };
      if (REPLAYED.includes(name) && this.lastEventId !== null) {
        payload.variables.since = String(this.lastEventId);
      }
      this.payloads[name] = payload;
      const dispose = this.client.subscribe(payload, {
        next: (result) => this.received(name, result),
        error: () => {},
        complete: () => {
          // ended by the server (an error such as REPLAY_TOO_LONG): query afresh, go on live
          if (this.client && this.payloads[name] === payload) {
            this.resync();
            delete payload.variables.since;
            this.subscribe(name);
          }
        },
      });
      this.disposers.push(dispose);
    }

    connected() {
      this.connections += 1;
      this.failures = 0;
      showState("live", this.lastEventId === null ? "" : `#${this.lastEventId}`);
      // counts have no replay: after a reconnect what may have changed is read again
      if (this.connections > 1) this.resync();
    }

    closed(event) {
      if (!this.client) return;
      const code = event && event.code;
      if (TOKEN_CLOSES.includes(code)) {
        showState("offline", "令牌失效 token no longer valid");
        this.page.tokenRefused(); // drops the token and restarts this anonymous
        return;
      }
      if (code === MISSED_CLOSE) {
        for (const payload of Object.values(this.payloads)) delete payload.variables.since;
      }
      const offline = !navigator.onLine || this.failures >= OFFLINE_AFTER;
      showState(offline ? "offline" : "reconnecting", code ? `${code}` : "");
    }

    received(name, result) {
      if (result.errors && result.errors.length) {
        // REPLAY_TOO_LONG ends the subscription, and `complete` queries afresh
        const shown = result.errors.filter((e) => (e.extensions || {}).code !== "REPLAY_TOO_LONG");
        if (shown.length) this.page.showError(`live ${name}: ${shown.map((e) => e.message).join("; ")}`);
        return;
      }
      const item = result.data && Object.values(result.data)[0];
      if (!item) return;
      const id = Number(item.eventId);
      if (this.lastEventId === null || id > this.lastEventId) this.lastEventId = id;
      const payload = this.payloads[name];
      if (REPLAYED.includes(name)) {
        const since = Number(payload.variables.since ?? -1);
        if (id > since) payload.variables.since = String(id);
      }
      showState("live", `#${this.lastEventId}`);
      this[name](item);
      if (this.page.changed) this.page.changed(name);
    }

    counts(item) {
      const map = this.page.map;
      if (item.zone) {
        zoneCounts.set(item.zone.code, item.zone);
        showTotals();
      }
      if (item.grid) {
        refreshArea(map, "grids", item.grid.bbox);
        refreshArea(map, "enterprises", item.grid.bbox);
        if (this.page.selectedGrid() === item.grid.code) {
          showCounts(item.grid);
          this.details();
        }
      }
    }

    issues(item) {
      const issue = item.issue || {};
      const enterprise = issue.enterprise || {};
      const grid = enterprise.grid && enterprise.grid.code;
      const action = item.event ? ACTIONS[item.event.action] || item.event.action : "";
      feedEntry(item.eventId, "问题 issue", action, issue.title,
        issue.status && issue.status.toLowerCase(), enterprise.name, grid);
      if (grid && this.page.selectedGrid() === grid) this.details();
    }

    visits(item) {
      const visit = item.visit || {};
      const enterprise = visit.enterprise || {};
      feedEntry(item.eventId, "走访 visit", enterprise.name,
        (visit.duties || []).map((duty) => duty.toLowerCase()).join("/"));
    }

    register(item) {
      const map = this.page.map;
      const { enterprise, assignment } = item;
      if (enterprise) {
        refreshArea(map, "enterprises", pointBox(enterprise.location));
        feedEntry(item.eventId, "企业 enterprise", enterprise.name);
      } else if (item.grid || item.zone || item.park) {
        for (const source of ["zones", "grids", "enterprises"]) refreshAll(map, source);
        const area = item.grid || item.zone || item.park;
        feedEntry(item.eventId, `${item.subject} ${area.code}`);
        if (this.page.selectedGrid()) this.details();
      } else if (assignment) {
        const grid = (assignment.grid || (assignment.enterprise || {}).grid || {}).code;
        feedEntry(item.eventId, "任命 assignment", assignment.role.toLowerCase(), grid);
        if (!grid || this.page.selectedGrid() === grid) this.details();
      }
    }

    details() {
      clearTimeout(this.detailsTimer);
      this.detailsTimer = setTimeout(() => this.page.refreshDetails(), DETAILS_DELAY_MS);
    }

    resync() {
      for (const source of ["zones", "grids", "enterprises"]) refreshAll(this.page.map, source);
      this.loadTotals();
      if (this.page.selectedGrid()) this.details();
      if (this.page.changed) this.page.changed("resync");
    }

    async loadTotals() {
      try {
        const data = await this.page.graphql(TOTALS_QUERY, {});
        zoneCounts.clear();
        for (const zone of data.zones.nodes) zoneCounts.set(zone.code, zone);
        showTotals();
      } catch (error) {
        this.page.showError(`totals: ${error.message}`);
      }
    }
  }

  let current = null;

  /** Start (or, after a sign-in or out, restart) the page's subscriptions. */
  function start(page) {
    if (current) current.stop();
    current = new Live(page);
    current.start();
    return current;
  }

  window.addEventListener("offline", () => current && showState("offline"));

  return { start, tilesOver };
})();
