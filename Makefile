# parkgrid: `make run` serves the demo park, `make test` runs the tests on real PostGIS.
# Without DATABASE_URL both use a private PostgreSQL cluster under .data/.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HOST ?= 127.0.0.1
export PORT ?= 8000

.PHONY: run test test-pooler stop install db migrate seed serve lint format check bench vendor-maplibre \
	vendor-graphiql example vendor-graphql-ws vendor-terra-draw vendor-jspdf

run: seed
	@echo "Demo admin token, valid 30 days (send it as 'Authorization: Bearer <token>'):"
	@$(BIN)/parkgrid token create --role admin --label demo --expires-in-days 30 --quiet
	$(BIN)/parkgrid serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

db: install
	$(BIN)/parkgrid db up

migrate: db
	$(BIN)/parkgrid migrate

seed: migrate
	$(BIN)/parkgrid seed demo --if-empty

serve: install
	$(BIN)/parkgrid serve

test: db
	$(BIN)/pytest $(PYTEST_ARGS)

# The tests with every app behind PgBouncer in transaction mode (tests/pooled.py); by default
# the groups that exercise the API's database paths, PYTEST_ARGS for others.
POOLER_TESTS ?= tests/schema tests/resolvers tests/web/test_compiled.py tests/web/test_subscriptions.py
test-pooler: db
	PARKGRID_TEST_POOLER=1 $(BIN)/pytest $(or $(PYTEST_ARGS),$(POOLER_TESTS))

stop:
	@if [ -x $(BIN)/parkgrid ]; then $(BIN)/parkgrid stop; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

bench: db
	$(BIN)/python -m bench.run

# The example map frontend (examples/map-app): npm packages from its lock file, types generated
# from schema.graphql, type-checked, bundled into examples/map-app/dist/, which the service then
# serves at /examples/map-app/. Node.js and npm come from Debian when missing (as root).
example:
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q nodejs npm; }
	cd examples/map-app && npm ci --no-audit --no-fund && npm run build

# MapLibre GL JS for the /map page, vendored from its npm package (committed; not needed to run).
MAPLIBRE_VERSION ?= 5.24.1
MAPLIBRE_DIR := web/static/vendor/maplibre-gl

vendor-maplibre:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	npm pack --silent --pack-destination "$$tmp" maplibre-gl@$(MAPLIBRE_VERSION) >/dev/null && \
	tar -xzf "$$tmp/maplibre-gl-$(MAPLIBRE_VERSION).tgz" -C "$$tmp" && \
	mkdir -p $(MAPLIBRE_DIR) && \
	cp "$$tmp/package/dist/maplibre-gl.js" "$$tmp/package/dist/maplibre-gl.css" \
	   "$$tmp/package/LICENSE.txt" $(MAPLIBRE_DIR)/ && \
	{ echo "maplibre-gl $(MAPLIBRE_VERSION)"; \
	  echo "Fetched by 'make vendor-maplibre' (npm pack maplibre-gl@$(MAPLIBRE_VERSION)): the"; \
	  echo "package's dist/maplibre-gl.js, dist/maplibre-gl.css and LICENSE.txt, unchanged."; \
	  echo "Licence: BSD-3-Clause (LICENSE.txt). Change the version with MAPLIBRE_VERSION=x.y.z."; \
	  echo; echo "sha256:"; cd $(MAPLIBRE_DIR) && sha256sum maplibre-gl.js maplibre-gl.css LICENSE.txt; \
	} > $(MAPLIBRE_DIR)/VERSION && \
	echo "vendored maplibre-gl $(MAPLIBRE_VERSION) into $(MAPLIBRE_DIR)"

# GraphiQL for /graphql's IDE page and the React it runs on, vendored from their npm packages
# (committed; not needed to run). GraphiQL 4 is the last line with a one-file browser build,
# React 18 the last with browser (UMD) builds.
GRAPHIQL_VERSION ?= 4.1.2
REACT_VERSION ?= 18.3.1
GRAPHIQL_DIR := web/static/vendor/graphiql

vendor-graphiql:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for pkg in graphiql@$(GRAPHIQL_VERSION) react@$(REACT_VERSION) react-dom@$(REACT_VERSION); do \
	  name=$${pkg%@*} && mkdir -p "$$tmp/$$name" && \
	  npm pack --silent --pack-destination "$$tmp" $$pkg >/dev/null && \
	  tar -xzf "$$tmp/$$name-$${pkg#*@}.tgz" -C "$$tmp/$$name" || exit 1; \
	done && \
	mkdir -p $(GRAPHIQL_DIR) && \
	cp "$$tmp/graphiql/package/graphiql.min.js" "$$tmp/graphiql/package/graphiql.min.css" \
	   "$$tmp/react/package/umd/react.production.min.js" \
	   "$$tmp/react-dom/package/umd/react-dom.production.min.js" $(GRAPHIQL_DIR)/ && \
	cp "$$tmp/graphiql/package/LICENSE" $(GRAPHIQL_DIR)/LICENSE-graphiql && \
	cp "$$tmp/react/package/LICENSE" $(GRAPHIQL_DIR)/LICENSE-react && \
	{ echo "graphiql $(GRAPHIQL_VERSION)"; echo "react $(REACT_VERSION)"; \
	  echo "react-dom $(REACT_VERSION)"; echo; \
	  echo "Fetched by 'make vendor-graphiql' (npm pack of the three packages), unchanged:"; \
	  echo "graphiql's graphiql.min.js (its UMD build) and graphiql.min.css, react's"; \
	  echo "umd/react.production.min.js and react-dom's umd/react-dom.production.min.js."; \
	  echo "Licences: MIT (LICENSE-graphiql; LICENSE-react, the same for react and react-dom)."; \
	  echo "Change the versions with GRAPHIQL_VERSION=x.y.z REACT_VERSION=x.y.z."; \
	  echo; echo "sha256:"; cd $(GRAPHIQL_DIR) && sha256sum graphiql.min.js graphiql.min.css \
	    react.production.min.js react-dom.production.min.js LICENSE-graphiql LICENSE-react; \
	} > $(GRAPHIQL_DIR)/VERSION && \
	echo "vendored graphiql $(GRAPHIQL_VERSION), react $(REACT_VERSION) into $(GRAPHIQL_DIR)"

# The graphql-ws client (the graphql-transport-ws protocol's reference implementation) for the
# /map page's live updates, vendored from its npm package's browser (UMD) build (committed).
GRAPHQL_WS_VERSION ?= 6.4.2
GRAPHQL_WS_DIR := web/static/vendor/graphql-ws

vendor-graphql-ws:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	npm pack --silent --pack-destination "$$tmp" graphql-ws@$(GRAPHQL_WS_VERSION) >/dev/null && \
	tar -xzf "$$tmp/graphql-ws-$(GRAPHQL_WS_VERSION).tgz" -C "$$tmp" && \
	mkdir -p $(GRAPHQL_WS_DIR) && \
	cp "$$tmp/package/umd/graphql-ws.min.js" "$$tmp/package/LICENSE.md" $(GRAPHQL_WS_DIR)/ && \
	{ echo "graphql-ws $(GRAPHQL_WS_VERSION)"; \
	  echo "Fetched by 'make vendor-graphql-ws' (npm pack graphql-ws@$(GRAPHQL_WS_VERSION)): the"; \
	  echo "package's umd/graphql-ws.min.js (its browser build, the client only) and LICENSE.md,"; \
	  echo "unchanged. Licence: MIT (LICENSE.md). Change the version with GRAPHQL_WS_VERSION=x.y.z."; \
	  echo; echo "sha256:"; cd $(GRAPHQL_WS_DIR) && sha256sum graphql-ws.min.js LICENSE.md; \
	} > $(GRAPHQL_WS_DIR)/VERSION && \
	echo "vendored graphql-ws $(GRAPHQL_WS_VERSION) into $(GRAPHQL_WS_DIR)"

# terra-draw and its MapLibre adapter, the drawing library the /map page redraws a grid with,
# vendored from their npm packages' browser (UMD) builds (committed; not needed to run).
TERRA_DRAW_VERSION ?= 1.35.0
TERRA_DRAW_ADAPTER_VERSION ?= 1.4.1
TERRA_DRAW_DIR := web/static/vendor/terra-draw

vendor-terra-draw:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for pkg in terra-draw@$(TERRA_DRAW_VERSION) \
	           terra-draw-maplibre-gl-adapter@$(TERRA_DRAW_ADAPTER_VERSION); do \
	  name=$${pkg%@*} && mkdir -p "$$tmp/$$name" && \
	  npm pack --silent --pack-destination "$$tmp" $$pkg >/dev/null && \
	  tar -xzf "$$tmp/$$name-$${pkg#*@}.tgz" -C "$$tmp/$$name" || exit 1; \
	done && \
	mkdir -p $(TERRA_DRAW_DIR) && \
	cp "$$tmp/terra-draw/package/dist/terra-draw.umd.js" \
	   "$$tmp/terra-draw-maplibre-gl-adapter/package/dist/terra-draw-maplibre-gl-adapter.umd.js" \
	   $(TERRA_DRAW_DIR)/ && \
	{ echo "terra-draw $(TERRA_DRAW_VERSION)"; \
	  echo "terra-draw-maplibre-gl-adapter $(TERRA_DRAW_ADAPTER_VERSION)"; echo; \
	  echo "Fetched by 'make vendor-terra-draw' (npm pack of the two packages), unchanged:"; \
	  echo "each package's dist/*.umd.js (its browser build)."; \
	  echo "Licence: MIT, as each package.json says (the packages ship no licence file):"; \
	  grep -h '"license"' "$$tmp"/*/package/package.json; \
	  echo "Change the versions with TERRA_DRAW_VERSION=x.y.z TERRA_DRAW_ADAPTER_VERSION=x.y.z."; \
	  echo; echo "sha256:"; cd $(TERRA_DRAW_DIR) && sha256sum terra-draw.umd.js \
	    terra-draw-maplibre-gl-adapter.umd.js; \
	} > $(TERRA_DRAW_DIR)/VERSION && \
	echo "vendored terra-draw $(TERRA_DRAW_VERSION) into $(TERRA_DRAW_DIR)"

# jsPDF for the /map page's PDF export, vendored from its npm package's browser (UMD) build
# (committed; not needed to run).
JSPDF_VERSION ?= 4.2.1
JSPDF_DIR := web/static/vendor/jspdf

vendor-jspdf:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	npm pack --silent --pack-destination "$$tmp" jspdf@$(JSPDF_VERSION) >/dev/null && \
	tar -xzf "$$tmp/jspdf-$(JSPDF_VERSION).tgz" -C "$$tmp" && \
	mkdir -p $(JSPDF_DIR) && \
	cp "$$tmp/package/dist/jspdf.umd.min.js" "$$tmp/package/LICENSE" $(JSPDF_DIR)/ && \
	{ echo "jspdf $(JSPDF_VERSION)"; \
	  echo "Fetched by 'make vendor-jspdf' (npm pack jspdf@$(JSPDF_VERSION)): the package's"; \
	  echo "dist/jspdf.umd.min.js (its browser build) and LICENSE, unchanged."; \
	  echo "Licence: MIT (LICENSE). Change the version with JSPDF_VERSION=x.y.z."; \
	  echo; echo "sha256:"; cd $(JSPDF_DIR) && sha256sum jspdf.umd.min.js LICENSE; \
	} > $(JSPDF_DIR)/VERSION && \
	echo "vendored jspdf $(JSPDF_VERSION) into $(JSPDF_DIR)"
