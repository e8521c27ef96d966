"""The emulator notes: what moto does differently from CloudFormation, one named note each.

Measured with moto 5.2.5 and CDK CLI 2.1148 (docs/rehearsal.md). Each one that
applies to a run is listed in its summary as an expected note, never passed silently: a step calls
``self.report.note(key, detail)``, and a patch of the rehearsal's moto server (moto_patches.py)
brings its note in when the server logs that it acted. A new note needs its text here.
"""

from __future__ import annotations

NOTES = {
    "endpoint-rename": (
        "moto updates an Endpoint whose EndpointName changed by deleting it and creating it "
        "again under the same name; CloudFormation replaces it (a new endpoint, then the old one "
        "deleted): the rehearsal's moto server does that, naming the new one as moto names "
        "every endpoint"
    ),
    "termination-protection": (
        "moto 5.2.5 keeps a stack's termination protection from CreateStack but has no "
        "UpdateTerminationProtection and deletes a protected stack: the rehearsal's moto server "
        "adds the call and refuses DeleteStack of a protected stack with CloudFormation's error "
        "(moto_patches.install_termination_protection)"
    ),
    "direct-deploys": (
        "moto cannot update a stack through a change set ('Stack with id cdk-deploy-change-set "
        "does not exist') and leaves stacks created through one without Outputs: every deploy "
        "uses `cdk deploy --method=direct`"
    ),
    "template-diff": (
        "a change-set diff against moto waits about a minute before falling back: "
        "`cdk diff --method=template` is used"
    ),
    "bootstrap-parameter": (
        "a direct update fails in moto with KeyError 'BootstrapVersion' unless the parameter is "
        "passed: the update passes the template's own default "
        "(--parameters BootstrapVersion=/cdk-bootstrap/hnb659fds/version)"
    ),
    "canned-inference": (
        "moto answers invoke_endpoint with a canned body the rehearsal sets through its API: "
        "the smoke test proves the wiring, not the model"
    ),
    "not-emulated": (
        "moto's CloudFormation does not implement these resource types: it would skip them, and "
        "reject a template that reads one with Fn::GetAtt; the rehearsal's moto server "
        "(scripts/rehearsal_moto.py) stands in a placeholder that creates nothing"
    ),
    "autoscaling-emulated": (
        "moto's CloudFormation has no AWS::ApplicationAutoScaling::ScalableTarget or "
        "::ScalingPolicy, and its Application Auto Scaling rejects the serverless dimension "
        "sagemaker:variant:DesiredProvisionedConcurrency: the rehearsal's moto server creates, "
        "updates and deletes them in moto's own Application Auto Scaling (target, scheduled "
        "actions, target-tracking policy; scripts/rehearsal/moto_autoscaling.py). moto checks "
        "neither the endpoint nor the role, and the target's ResourceId names the template's "
        "EndpointName, not the endpoint moto created (note endpoint-name): the rehearsal proves "
        "the target's registration and its life across updates, not that it scales"
    ),
    "endpoint-name": (
        "moto ignores the template's EndpointName and names the endpoint "
        "<stack>-<logical id>-<random>; the rehearsal reads the name from the stack output"
    ),
    "endpoint-config-propagation": (
        "moto replaces the EndpointConfig but leaves the Endpoint on the old, deleted config "
        "(it updates only resources whose template text changed); CloudFormation updates the "
        "endpoint in place: the rehearsal's moto server moves it to the new config "
        "(scripts/rehearsal/moto_repairs.py)"
    ),
    "update-endpoint": (
        "moto has no SageMaker UpdateEndpoint (NotImplementedError); the rehearsal's moto server "
        "emulates it (the endpoint takes the new config at once and is InService): the drift "
        "step changes the endpoint behind CloudFormation's back with it"
    ),
    "emulated-quota": (
        "moto's Service Quotas has no SageMaker quotas (ListServiceQuotas is not implemented): "
        "the preflight runs with --emulate-quota, labelled EMULATED in its output"
    ),
    "kms-key-tags": (
        "moto's CloudFormation passes an AWS::KMS::Key's Tags to its KMS in the wrong shape "
        "(KeyError 'TagKey'); the rehearsal's moto server converts them (the template is "
        "unchanged)"
    ),
    "managed-policy-delete-order": (
        "moto deletes a role before detaching its AWS::IAM::ManagedPolicy ('Cannot delete "
        "entity, must detach all policies first'), drops the stack and leaves the role and "
        "policy behind; CloudFormation deletes them in dependency order"
    ),
    "managed-policy-update": (
        "moto's CloudFormation drops an AWS::IAM::ManagedPolicy whose document changes on a "
        "stack update (it has no update for the type); the rehearsal's moto server updates it "
        "in place with a new default policy version, as IAM does (the template is unchanged)"
    ),
    "model-replacement-propagation": (
        "a stack update that replaces an AWS::SageMaker::Model leaves moto's EndpointConfig "
        "naming the deleted model (moto updates only resources whose template text changed); "
        "the rehearsal's moto server points the config's variants at the new model "
        "(CloudFormation would replace the config; the template is unchanged)"
    ),
}
