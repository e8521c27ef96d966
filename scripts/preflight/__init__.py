"""Will this environment's deploy fit the account's serverless concurrency quota?

    python -m scripts.preflight --env dev [--region eu-west-1] [--profile NAME] [--json]
    make preflight ENV=dev

Run from the project root, with AWS credentials for the environment's account. Synth already
checks the app's own endpoints against ``SERVERLESS_CONCURRENCY_QUOTA`` (stacks/quota.py); this
command reads what synth cannot know, in the environment's account and region:

1. the quota: Service Quotas, service ``sagemaker``, the quota named QUOTA_NAME, looked up BY
   NAME (its QuotaCode, L-96300102 in public third-party code, is not in AWS's documentation):
   ListServiceQuotas (this account's applied value), else ListAWSDefaultServiceQuotas (AWS's
   default, when no applied value is listed);
2. the concurrency already taken: every endpoint of ListEndpoints, its DescribeEndpoint, then the
   MaxConcurrency of its endpoint config's ServerlessConfig (DescribeEndpointConfig; real-time
   endpoints take none);
3. the environment's own endpoint, from its stack's EndpointName output (DescribeStacks), which
   is left out: the deploy replaces its concurrency with the environment's max_concurrency.

Then it says whether ``taken by the others + max_concurrency <= quota``, and by how much.

Modules: cli (options, main, output), quota (the Service Quotas look-up), usage (the endpoints and
the environment's own one), errors (AWS errors as one sentence naming what to fix).

``--emulate-quota N`` is for AWS emulators only (moto 5.2.5 has no SageMaker quotas): N is used
only when Service Quotas has no value for the quota, never over one it returned, and the output
says EMULATED wherever it is used.

Exit codes: 0 the deploy fits; 1 it does not; 2 the check could not be made (usage,
configuration, credentials, permissions, throttling, the quota not found).
"""
