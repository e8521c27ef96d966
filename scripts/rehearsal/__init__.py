"""Rehearse a deploy offline: the real CDK CLI against moto's AWS emulator, start to finish.

    make rehearse                   # or: .venv/bin/python -m scripts.rehearse [--json] [-v]

Starts moto in server mode on a free loopback port and drives the pinned CDK CLI
(node_modules/aws-cdk, the one ``npx cdk`` runs, on the venv's Node.js) against it with dummy
credentials (account 123456789012, us-east-1):

1. ``cdk synth`` of app.py, ``cdk bootstrap``, then `make deploy` (``python -m scripts.deploy``,
   scripts/deploy/: guards, plan, quota preflight, ``cdk deploy``, smoke test) of every stack;
   each deployed stack must hold every resource of its template and its outputs (a type moto
   lacks gets a placeholder from moto_placeholders.py, and is noted). Before it, a
   wrong-account deploy is refused (guard_steps.py);
2. the smoke script (``python -m scripts.smoke_test``) against each stack's endpoint (the
   ``EndpointName`` output), with the answer set through moto's API first: moto returns canned
   inference bodies, so this proves the wiring (stack -> output -> endpoint -> runtime call ->
   answer check), never the model;
3. an update: one environment's memory size changed (update_app.py), ``cdk diff``, a plan of
   what is replaced and what is modified in place (a loud warning if the
   AWS::SageMaker::Endpoint itself would be replaced: downtime), then `make deploy` of it, which
   must reach UPDATE_COMPLETE with an EndpointConfig carrying the new memory;
4. scaling: each stack with a scalable target (prod) has it registered as its template says
   (target, scheduled actions, policy; moto_autoscaling.py emulates them, note
   ``autoscaling-emulated``), and an update that replaces its EndpointConfig (the run's own, or
   one more of that stack's memory) leaves them registered and unchanged;
5. the guards (guard_steps.py): dev, pipeline-owned and with a new EndpointName, refused as
   pipeline-owned, then (ALLOW_PIPELINE_ENV=1) as an Endpoint replacement, then deployed with
   ALLOW_REPLACEMENT=1 too (a new endpoint answers, the old one is gone);
6. `make destroy` (``python -m scripts.destroy``) of every stack, prod's first refused by its
   termination protection, then lifted; no SageMaker model, endpoint config or endpoint, and
   nothing in Application Auto Scaling, may remain.

What moto does differently from CloudFormation is worked around where the CLI allows it and
reported as a named, expected emulator note in the summary; it never passes silently, and the
templates are never changed for it. Everything it writes goes to a temporary directory (cloud
assemblies via ``--output``, HOME, AWS config); the moto server it starts is always stopped.

Exit codes: 0 the rehearsal passed; 1 a step failed (the reason is printed); 2 usage or set-up
error (e.g. ``make setup`` not run).

Run from the project root. Three entry points start this package's code:
scripts/rehearse.py (``python -m scripts.rehearse``, ``make rehearse``: cli.main), and two the
rehearsal starts itself, ``python -m scripts.rehearsal_moto`` (the moto server:
moto_patches.main) and ``python -m scripts.rehearsal_app`` (the update's CDK app, run by the CDK
CLI: update_app.main). The modules, by concern:

- cli: the command line, exit codes, the run in a temporary directory;
- sequence: ``Rehearsal.run``, the steps in order;
- step_runner: ``StepRunner``, the state the steps share and ``step()`` (numbered, timed,
  reported);
- cdk_steps, guard_steps, smoke_steps, drift_steps, preflight_steps, update_steps,
  scaling_steps: the steps, as methods of classes built on StepRunner (guard_steps: the calls of
  `make deploy` / `make destroy` and the guard scenarios);
- checks: what a deploy, an update or a destroy must have done (boto3 clients; tests use moto's
  in-process mock);
- commands: the command runner, the commands' environment, stopping process groups;
- assembly: cloud assemblies and what the rehearsal reads in a template;
- moto_server: the moto server process, its log, its canned inference answer;
- moto_patches, moto_placeholders, moto_repairs, moto_autoscaling: what the server changes in
  moto (run in the server process; tests install them in process);
- notes: the emulator notes' texts; report: the report and the summary;
- update_app: the update's CDK app; settings: paths, account, region, names; errors.

The update plan itself is scripts/update_plan.py (not rehearsal-specific).

Add a step: a method on the steps class of its concern (or a new ``class ...Steps(StepRunner)``
module, added to ``Rehearsal``'s bases in sequence.py), called at its place in
``Rehearsal.run``::

    def check_drift(self, stack_name: str) -> None:
        with self.step(f"drift {stack_name}") as step:  # a row of the summary's table
            result = self.runner.run([sys.executable, "-m", "scripts.smoke_test", ...],
                                     check=False)  # logged; shown with -v
            if result.returncode != 3:
                raise RehearsalFailedError(f"...")  # the step FAILED, exit code 1
            self.report.note("some-note", "detail")  # an emulator difference: notes.NOTES
            step.detail = "..."

``self.sagemaker`` and ``self.cloudformation`` are boto3 clients for the moto server,
``self.runner.cdk(...)`` runs the CDK CLI, ``self.endpoint_names[stack]`` holds each deployed
stack's endpoint. Put a check that deserves a test of its own in checks.py.

Add an emulator patch (a repair of moto, with a named note in the summary): see moto_patches.py:
an install function, an ``EmulatorPatch`` in ``PATCHES``, the note's text in notes.NOTES.
"""
