"""The AWS region, looked up in the order the AWS SDKs and the AWS CLI v2 use.

    1. --region
    2. AWS_REGION
    3. AWS_DEFAULT_REGION
    4. ``region`` of the profile (--profile, else AWS_DEFAULT_PROFILE or AWS_PROFILE, else
       ``default``) in the config file (AWS_CONFIG_FILE, default ~/.aws/config); botocore also
       reads it from that profile in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE)

botocore (boto3's core) reads only 3 and 4 by itself: it ignores AWS_REGION, which the other
SDKs, the CLI v2, CodeBuild and Lambda set. So the region is resolved here and passed to the
session explicitly; 4 is read through botocore's own session so that the profile and the files
are chosen and parsed exactly as botocore does. Nothing here calls AWS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

ENVIRONMENT_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


@dataclass(frozen=True, kw_only=True)
class ResolvedRegion:
    region: str
    source: str  # where it was found, e.g. "AWS_REGION" or "profile 'dev' in /home/me/.aws/config"


def resolve_region(*, region_option: str | None, profile_option: str | None) -> ResolvedRegion:
    """The region from the first source that sets one; UsageError naming every source tried."""
    if region_option:
        return ResolvedRegion(region=region_option, source="--region")
    tried = ["--region (not given)"]
    for name in ENVIRONMENT_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return ResolvedRegion(region=value, source=name)
        tried.append(f"{name} ({'empty' if name in os.environ else 'not set'})")
    found, where, detail = _profile_region(profile_option)
    if found:
        return ResolvedRegion(region=found, source=where)
    tried.append(f"{where} ({detail})")
    raise UsageError(
        f"no AWS region: tried {', '.join(tried)}. Pass --region, set AWS_REGION, or set "
        "region in the profile (aws configure set region <region>)"
    )


def _profile_region(profile_option: str | None) -> tuple[str | None, str, str]:
    """(region or None, which profile in which file, why none) as botocore reads the files."""
    import botocore.exceptions
    import botocore.session

    session = botocore.session.Session(profile=profile_option)
    profile = session.profile or "default"
    config_file = Path(os.path.expanduser(session.get_config_variable("config_file")))
    credentials_file = Path(os.path.expanduser(session.get_config_variable("credentials_file")))
    where = f"region of profile {profile!r} in {config_file}"
    try:
        scoped = session.get_scoped_config()
    except botocore.exceptions.ProfileNotFound:
        return None, where, f"no such profile there or in {credentials_file}"
    except botocore.exceptions.BotoCoreError as error:  # e.g. ConfigParseError
        raise UsageError(f"cannot read the AWS configuration: {error}") from None
    region = str(scoped.get("region") or "").strip()
    if region:
        return region, f"profile {profile!r} in {config_file}", ""
    if not config_file.is_file():
        return None, where, "no such file"
    return None, where, "the profile sets no region"
