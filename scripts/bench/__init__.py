"""Measure what the product costs its users in time: synth, scaling, the test suite, the server.

    python -m scripts.bench [--runs N] [--only synth,scaling,suite,server] [--json]   # from the
                                                                    # project root (make bench)

Every figure is measured now, on this machine: each synth sample runs in a fresh Python process
(as `cdk synth` does). The table shows each figure's median, min and max, and the 95% interval
of what its target judges. A verdict is printed only when the interval supports it: a figure
drowned in noise reads "unstable (machine busy?)", never "met" (scripts/bench/noise.py,
docs/benchmarks.md). Nothing here is a test: timings vary with the machine, so the test suite
never asserts them; it tests the verdict rule on made-up samples.

- cli: the command line and the run;          - noise: intervals, the fitted slope, the verdict;
- report: the table's rows and their format;  - sections: synth, scaling (with the alpha L2
- server: the local inference server;           peer) and the test suite;
- apps: the apps synthesized in each measurement process.
"""
