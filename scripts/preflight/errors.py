"""The one error of the preflight (exit code 2), and AWS errors turned into it."""

from __future__ import annotations

from scripts.smoke.errors import error_code, error_message

EXIT_FITS, EXIT_DOES_NOT_FIT, EXIT_CANNOT_CHECK = 0, 1, 2

# The IAM action each call needs (docs/quota-preflight.md).
PERMISSIONS = {
    "ListServiceQuotas": "servicequotas:ListServiceQuotas",
    "ListAWSDefaultServiceQuotas": "servicequotas:ListAWSDefaultServiceQuotas",
    "ListEndpoints": "sagemaker:ListEndpoints",
    "DescribeEndpoint": "sagemaker:DescribeEndpoint",
    "DescribeEndpointConfig": "sagemaker:DescribeEndpointConfig",
    "DescribeStacks": "cloudformation:DescribeStacks",
}
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
}
CREDENTIALS_REFUSED = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
}
# botocore's retries (standard mode) before a throttled call is reported.
MAX_ATTEMPTS = 5
NO_CREDENTIALS = (
    "no AWS credentials found (botocore looked in the environment variables, the shared "
    "credentials and config files, SSO and container or instance metadata): configure a profile "
    "(aws configure, aws sso login) and pass --profile, or export credentials"
)


class PreflightError(Exception):
    """The check could not be made (exit code 2); the message says what to fix."""


def explain(
    error: Exception, *, operation: str, service: str, caller: str | None
) -> PreflightError:
    """``error`` of ``service``'s ``operation`` as one sentence naming what to fix."""
    name = type(error).__name__
    code, message = error_code(error), error_message(error)
    who = f" ({caller})" if caller else ""
    if name in {"NoCredentialsError", "PartialCredentialsError"}:
        text = NO_CREDENTIALS
    elif name in {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"}:
        text = f"cannot reach {service} for {operation}: {error}"
    elif code in ACCESS_DENIED:
        permission = PERMISSIONS.get(operation, f"the permission for {service} {operation}")
        text = (
            f"access denied to {service} {operation}: the caller{who} needs {permission} "
            f"(AWS said: {message})"
        )
    elif code in THROTTLED:
        text = (
            f"AWS throttled {service} {operation} ({code}) and kept throttling through "
            f"{MAX_ATTEMPTS} attempts with backoff: too many requests in this account and region "
            "right now; run the preflight again in a minute"
        )
    elif code in CREDENTIALS_REFUSED:
        text = (
            f"the AWS credentials{who} were refused by {service} {operation} ({code}: "
            f"{message}): refresh them (aws sso login, new keys) or pass another --profile"
        )
    elif code:
        text = f"{service} {operation} failed: {code}: {message}"
    else:
        text = f"{service} {operation} failed: {name}: {error}"
    return PreflightError(text)
