"""Resolve an environment's Model Registry version and record it in cdk.context.json.

    python -m scripts.model_registry refresh --env prod [--profile NAME] [--context-file F]
    python -m scripts.model_registry refresh --all
    make refresh-model ENV=prod

Run from the project root, with AWS credentials that may read the registry. For each environment
whose ``model_package`` (stacks/config.py) names a group, ListModelPackages (approval status
Approved, newest CreationTime first) picks the latest approved version; a version ARN is taken as
it is. DescribeModelPackage then gives its status, approval and containers, and the artifact's
HeadObject (its SSE-KMS key) and GetBucketLocation (its region) what least privilege and the
region check need. The record goes into cdk.context.json under the key stacks/model_registry.py
names, written with sorted keys, so the same answer writes the same bytes and a new version is a
one-line diff in review. Synth reads only that record: it never calls AWS.

Permissions: sagemaker:ListModelPackages and sagemaker:DescribeModelPackage on the group and its
versions, s3:GetObject (for HeadObject) on the artifact and s3:GetBucketLocation on its bucket.

Modules: cli (options, main), registry (the AWS calls), context_file (reading and writing
cdk.context.json).

Exit codes: 0 recorded; 2 nothing recorded (usage, configuration, credentials, permissions, no
approved version).
"""
