# One target per thing a person does. Everything runs from the project's own virtualenv.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
STATE ?= .state
CLUSTER_DIR ?= /tmp/jobplatform-cluster

.PHONY: help install demo test test-unit test-integration test-cluster lint bench \
        cluster-binaries cluster-up cluster-down cluster-load-images images images-base clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml requirements.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv venv --quiet --allow-existing .venv --python python3.11
	uv pip sync --quiet --python $(PY) requirements.lock
	uv pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

install: $(VENV_STAMP) ## create .venv with the locked dependencies

demo: $(VENV_STAMP) ## run the whole platform locally (Redis, Postgres, web, relay, workers, beat)
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
	.venv/bin/ruff check services tests
	.venv/bin/ruff format --check services tests
	.venv/bin/mypy
	.venv/bin/lint-imports

bench: $(VENV_STAMP) ## benchmarks against bare Celery; writes docs/benchmarks.md
	$(PY) tests/bench/run.py --report docs/benchmarks.md

images-base: ## make and cache the Debian root filesystems the images start from (mmdebstrap)
	bash images/debian-base.sh python python3,python3-venv,ca-certificates,netbase,tzdata
	bash images/debian-base.sh datastores redis-server,postgresql

images: ## build the services, Redis, Postgres, pause and CoreDNS images (docker, else buildah)
	bash images/build.sh all

cluster-binaries: ## build or reuse the cached Kubernetes binaries
	bash tests/cluster/harness/toolchain.sh

cluster-up: $(VENV_STAMP) ## start a local control plane, kwok nodes and (where pods can run) a real node; prints the admin kubeconfig path
	$(PY) tests/cluster/harness/controlplane.py up --state-dir $(CLUSTER_DIR)

cluster-down: $(VENV_STAMP) ## stop the local cluster and put the machine back as it was found
	$(PY) tests/cluster/harness/controlplane.py down --state-dir $(CLUSTER_DIR)

cluster-load-images: $(VENV_STAMP) ## load the images `make images` built into the cluster's real node
	$(PY) tests/cluster/harness/controlplane.py load-images --state-dir $(CLUSTER_DIR)

clean: ## remove local state (not the binary cache)
	rm -rf $(STATE) .pytest_cache .mypy_cache .ruff_cache
