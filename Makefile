# Developer shortcuts from the operations guide. The local stack needs Docker with Compose 2.23+; the test and
# lint targets need only Node 20 and `npm ci`.
COMPOSE ?= docker compose
BACKEND_URL ?= http://localhost:8000
FRONTEND_URL ?= http://localhost:3000
PROMETHEUS_URL ?= http://localhost:9090
GRAFANA_URL ?= http://localhost:3001

.PHONY: devops-up devops-down devops-check devops-logs test-backend test-frontend lint compose

# Start every service (building the backend and frontend images from this checkout).
devops-up:
	$(COMPOSE) up -d --build
	@echo "Services started"
	@echo "Frontend:   $(FRONTEND_URL)"
	@echo "Backend:    $(BACKEND_URL)"
	@echo "Prometheus: $(PROMETHEUS_URL)"
	@echo "Grafana:    $(GRAFANA_URL) (admin / GRAFANA_ADMIN_PASSWORD, default admin)"

# Stop and remove the containers; the data volumes stay (`$(COMPOSE) down -v` removes them too).
devops-down:
	$(COMPOSE) down

# Probe the health URLs; fails (non-zero) naming every service that does not answer.
devops-check:
	@echo "Checking service health..."
	@failed=""; \
	curl -sf -o /dev/null --max-time 5 $(BACKEND_URL)/api/v1/health || { echo "Backend unhealthy: $(BACKEND_URL)/api/v1/health"; failed="$$failed backend"; }; \
	curl -sf -o /dev/null --max-time 5 $(FRONTEND_URL)/healthz || { echo "Frontend unhealthy: $(FRONTEND_URL)/healthz"; failed="$$failed frontend"; }; \
	curl -sf -o /dev/null --max-time 5 $(PROMETHEUS_URL)/-/healthy || { echo "Prometheus unhealthy: $(PROMETHEUS_URL)/-/healthy"; failed="$$failed prometheus"; }; \
	curl -sf -o /dev/null --max-time 5 $(GRAFANA_URL)/api/health || { echo "Grafana unhealthy: $(GRAFANA_URL)/api/health"; failed="$$failed grafana"; }; \
	if [ -n "$$failed" ]; then echo "Unhealthy:$$failed"; exit 1; fi; \
	echo "All services healthy"

devops-logs:
	$(COMPOSE) logs -f

# Everything except the web app's tests (component, API client, serving and browser tests).
test-backend:
	npm test -- --exclude 'test/web-*' --exclude 'test/e2e/**'

test-frontend:
	npm test -- test/web- test/e2e/

lint:
	npm run lint
	npm run typecheck

# Regenerate docker-compose.yml from the typed configuration.
compose:
	npx tsx scripts/compose.ts
