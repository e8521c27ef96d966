"""Compliance rule packs that every synth of the app runs (cdk-nag 3, CDK's Validations API)."""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)

# AWS Solutions, HIPAA Security, NIST 800-53 rev 5, PCI DSS 3.2.1 and Serverless.
RULE_PACKS = (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)


def add_compliance_checks(app: App) -> None:
    """Run every pack at synth: an unacknowledged error fails the synth and names the rule.

    Acknowledgements live next to the constructs that cause them, each with its reason.
    """
    Validations.of(app).add_plugins(*(pack(app) for pack in RULE_PACKS))
