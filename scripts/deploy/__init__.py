"""``make deploy ENV=<name>`` and ``make destroy ENV=<name>``: one environment from a laptop, with
the pipeline's checks and guards against the mistakes that cost most (docs/deploy-from-a-laptop.md).

    python -m scripts.deploy  --env dev [--profile P] [--yes] [--allow-replacement] ...
    python -m scripts.destroy --env dev [--profile P] [--yes]

Modules: cli.py (options, overrides, summary, exit codes), deploy.py and destroy.py (the steps),
guards.py (each refusal and its message), assembly.py (the synthesized stack's facts, cfn-lint),
progress.py (numbered, timed steps and the summary), runner.py (the pinned CDK CLI), errors.py
(exit codes: 0 done, 1 failed, 2 usage, 3 refused by a guard, 4 deployed but the smoke test
failed).
"""
