# One target per thing a person does. Everything runs from the project's own virtualenv.
SHELL := /bin/bash
PY := .venv/bin/python
# The interpreter the virtualenv is made from; nothing is ever installed into it.
PYTHON ?= python3
VENV_STAMP := .venv/.installed
STATE ?= .state
CLUSTER_DIR ?= /tmp/jobplatform-cluster

.PHONY: help install demo demo-autoscaling test test-unit test-integration test-cluster lint bench \
        cluster-binaries manifests cluster-up cluster-down cluster-load-images images images-base clean dev

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# The virtualenv comes first, then uv inside it (the lock pins uv, so a sync keeps it): the
# system Python is only ever read, which a PEP 668 system (Debian 12) requires.
$(VENV_STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
	  { echo "make install: needs Python 3.11 or newer as '$(PYTHON)' (set PYTHON=...)"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv .venv || \
	  { echo "make install: cannot create .venv: install the venv module (Debian: apt-get install python3-venv)"; exit 1; }
	@[ -x .venv/bin/uv ] || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --default-pip >/dev/null; }
	@[ -x .venv/bin/uv ] || $(PY) -m pip install --quiet --disable-pip-version-check "uv==$$(sed -n 's/^uv==//p' requirements.lock)"
	.venv/bin/uv pip sync --quiet --python $(PY) requirements.lock
	.venv/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

install: $(VENV_STAMP) ## create .venv with the locked dependencies

demo: $(VENV_STAMP) ## run the whole platform locally (Redis, Postgres, web, relay, workers, beat); the heavy queue autoscaled
	$(PY) -m devstack.demo --state-dir $(STATE)/demo

test: $(VENV_STAMP) cluster-binaries ## the whole suite: unit, integration (real Redis/Postgres/Celery), cluster
	$(PY) -m pytest

test-unit: $(VENV_STAMP) ## fast tests, no I/O
	$(PY) -m pytest tests/unit

test-integration: $(VENV_STAMP) ## real Redis, Postgres and Celery worker processes
	$(PY) -m pytest tests/integration

test-cluster: $(VENV_STAMP) cluster-binaries ## real kube-apiserver, controller-manager, scheduler, kwok
	$(PY) -m pytest tests/cluster

lint: $(VENV_STAMP) ## ruff, mypy and the import-linter layer contracts
	.venv/bin/ruff check services operator tests
	.venv/bin/ruff format --check services operator tests
	.venv/bin/mypy
	.venv/bin/lint-imports

bench: $(VENV_STAMP) ## benchmarks against bare Celery, KEDA and Postgres COPY; writes docs/benchmarks.md, docs/benchmarks/
	$(PY) tests/bench/run.py --report docs/benchmarks.md
	$(PY) tests/bench/csv_import.py --report docs/benchmarks.md --rows 1000000
	$(PY) tests/bench/autoscaling.py --report docs/benchmarks/autoscaling.md --seed 7 --more-seeds 11 --more-seeds 23
	$(PY) tests/bench/operator_scale.py --report docs/benchmarks/operator.md --pools 100 --seconds 60
	$(PY) tests/bench/history.py --report docs/benchmarks.md

manifests: $(VENV_STAMP) cluster-binaries ## render k8s/ and docs/chart-values.md from the chart
	HELM=$$(PYTHON=$(PY) bash tests/cluster/harness/toolchain.sh 2>/dev/null | tail -1)/helm bash charts/render-manifests.sh
	$(PY) charts/values-reference.py

images-base: ## make and cache the Debian root filesystems the images start from (mmdebstrap)
	bash services/images/debian-base.sh python python3,python3-venv,ca-certificates,netbase,tzdata
	bash services/images/debian-base.sh datastores redis-server,postgresql

images: ## build the services, operator, Redis, Postgres, pause and CoreDNS images (docker, else buildah)
	bash services/images/build.sh all

cluster-binaries: $(VENV_STAMP) ## build or reuse the cached Kubernetes binaries (Go only to build)
	PYTHON=$(PY) bash tests/cluster/harness/toolchain.sh

cluster-up: $(VENV_STAMP) ## start a local control plane, kwok nodes and (where pods can run) a real node; prints the admin kubeconfig path
	$(PY) tests/cluster/harness/controlplane.py up --state-dir $(CLUSTER_DIR)

cluster-down: $(VENV_STAMP) ## stop the local cluster and put the machine back as it was found
	$(PY) tests/cluster/harness/controlplane.py down --state-dir $(CLUSTER_DIR)

dev: $(VENV_STAMP) ## skaffold dev on the local cluster (started if needed): edited Python reaches web at once; see docs/dev-loop.md
	$(PY) tests/cluster/harness/dev_loop.py --cluster-dir $(CLUSTER_DIR) $(if $(SKAFFOLD_ARGS),-- $(SKAFFOLD_ARGS))

cluster-load-images: $(VENV_STAMP) ## load the images `make images` built into the cluster's real node
	$(PY) tests/cluster/harness/controlplane.py load-images --state-dir $(CLUSTER_DIR)

clean: ## remove local state (not the binary cache)
	rm -rf $(STATE) .pytest_cache .mypy_cache .ruff_cache

demo-autoscaling: $(VENV_STAMP) ## the autoscaling policy driving local Celery workers, no cluster
	$(PY) -m celery_autoscaler.demo.run
