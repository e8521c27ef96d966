"""Prove that a deployed SageMaker Serverless endpoint answers.

    python -m scripts.smoke_test --stack SageMakerServerless-dev [--region eu-west-1]
    python -m scripts.smoke_test --endpoint-name my-endpoint --payload-file rows.csv --json
    python -m scripts.smoke_test --local-url http://localhost:8080   # scripts/serve_local.py
    python -m scripts.smoke_test --endpoint-name my-endpoint \
        --template cdk.out/SageMakerServerless-dev.template.json     # check against a synth

Run from the project root (the folder that holds scripts/). scripts/smoke_test.py is the entry
point; the modules here hold the work, by concern:

- options: the command line and the typed Options;   - cli: main(), the exit codes, printing;
- payload: the request body and its rows;            - predictions: reading the answer;
- invoke: one invocation with retries;               - aws: stack output, InService, the run;
- local: a local server (--local-url);               - load: load mode and its accounting;
- report: the report, as text or JSON;               - errors: exit codes and the two errors;
- region: the AWS region, as the SDKs resolve it;    - features: the payload's feature count;
- expected: what the stack or template says runs;  - drift: what runs, compared with it;

Steps: find the endpoint (from the stack's EndpointName output, or by name); when the model's
feature count is known (--feature-count, --model, or the stack's ModelFeatureCount output), check
that the payload fits it, before anything is sent (scripts/smoke/features.py); wait until it is
InService (progress on stderr, --timeout); invoke it once (the cold call) and --warm-invocations
more times, retrying throttling and cold-start errors with exponential backoff; check that the
answer holds one prediction per request row, all of its numbers finite (the formats read:
scripts/smoke/predictions.py); report cold and warm latencies.

The live-configuration check (scripts/smoke/drift.py; on by default with --stack, off with
--no-config-check; with --endpoint-name only given --template FILE): once the endpoint is
InService and before invoking, compare what it reports (DescribeEndpoint, DescribeEndpointConfig,
DescribeModel) with what the stack deployed (GetTemplate, DescribeStackResources; or the
synthesized template's literal values): its endpoint config, each variant's serverless config,
model, image and model data, and no FailureReason and no deployment in progress. A mismatch is
drift: the rows are printed as a table (a list in --json) and the exit code is 3, unless an
invocation also failed (1). A value that cannot be compared (computed by the template, a name
only a stack knows, a live resource the role may not read) is "skipped", with the reason.

With --local-url the same checks run against a server on the SageMaker container contract (e.g.
`make serve`) instead: GET /ping must answer 200 (polled while it answers 503, up to --timeout),
then POST /invocations, without retries and without AWS credentials.

Load mode (--requests N [--concurrency C]): instead of the cold and warm calls, send a bounded
burst of exactly N invocations, at most C in flight (C threads, each sending one request at a
time), and report latency percentiles, cold starts, throttled and failed requests:

- Every request is sent once: no retries in load mode, neither ours nor botocore's. A throttle
  (ThrottlingException, TooManyRequestsException or HTTP 429) is counted as throttled, since
  retrying it would hide what a load test is for and send more than N requests; any other error
  or a wrong answer (not one prediction of finite numbers per row) is counted as failed, by reason.
- Percentiles (p50, p95, p99) are nearest-rank over the latencies of the successful requests.
- A cold start is a worker's first call (its first request that was not throttled: a throttle is
  refused before it reaches a container) that succeeded in more than max(1 s, 5 x the warm
  median), the warm median being that of the successful requests that are not first calls (1 s
  alone when there are none). A warm serverless call of a tabular model takes milliseconds to
  tens of milliseconds, a cold start seconds (container start and model load): the 1 s floor
  keeps network jitter out, the factor 5 keeps slow models' warm calls out.
- Against SageMaker, C may not exceed the endpoint's MaxConcurrency (its endpoint config's
  ServerlessConfig; the smallest if several variants have one): requests past it are throttled,
  so the burst would measure the limit rather than the endpoint. That is a usage error (exit 2)
  unless --allow-over-max-concurrency says that throttling is what you want to see. A local
  server has no MaxConcurrency: C is not checked.
- Exit 1 when any request failed (throttles alone do not fail the run) or none succeeded.

Exit codes (errors.EXIT_MEANINGS: --help, the README and the JSON report's exit_code and
exit_meaning say the same): 0 passed; 1 the endpoint or an invocation failed (not found,
Failed status, timeout, error response, answer that is not a number); 2 usage or configuration
error (bad arguments, no credentials or region, unknown stack or output, a template or stack the
check cannot read); 3 drift (the endpoint answers, but runs something other than what the stack
or template says).
"""
