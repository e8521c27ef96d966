"""``make cost``: a monthly cost estimate per environment, before deploying.

Inputs, all checked in and edited by the user:

- ``stacks/config.py`` ``ENVIRONMENTS``: memory, provisioned concurrency and its scaling schedules;
- ``cost/traffic.json``: per environment, the requests (per month, or per hour of day), the mean
  duration, the request and response sizes, optionally the provisioned-concurrency hours;
- ``cost/prices.json``: per region, every price figure with its unit, public source URL and the date
  it was read. A figure left ``null`` is reported as missing and no total is printed.

Entry point: ``python -m scripts.cost`` (``make cost``).
"""
