#!/usr/bin/env python3
"""Prints where a provisioner's request time went, from its /metrics text on stdin.

Reads `provisioner_step_seconds{step}` (time per pipeline step),
`provisioner_requests_total` (requests answered) and `provisioner_registry_attempts`
(decide-and-reserve attempts per issuance), and prints, per step, the time per request
and its share of the steps' total, then the attempts. Used by scripts/bench.sh after
each run.
"""
import re
import sys

ORDER = ["parse", "identify", "proof", "nonce", "read", "decide", "mint", "reserve", "reply", "record"]
SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})?\s+([0-9.eE+-]+|NaN)$')


def labels(text):
    return dict(re.findall(r'([a-z_]+)="([^"]*)"', text or ""))


def main():
    step_sum, step_count = {}, {}
    requests = 0.0
    attempts_sum = attempts_count = 0.0
    retried = 0.0
    for line in sys.stdin:
        match = SAMPLE.match(line.strip())
        if not match:
            continue
        name, raw, value = match.group(1), match.group(2), float(match.group(3))
        tags = labels(raw)
        if name == "provisioner_step_seconds_sum":
            step_sum[tags.get("step")] = value
        elif name == "provisioner_step_seconds_count":
            step_count[tags.get("step")] = value
        elif name == "provisioner_requests_total":
            requests += value
        elif name == "provisioner_registry_attempts_sum":
            attempts_sum = value
        elif name == "provisioner_registry_attempts_count":
            attempts_count = value
        elif name == "provisioner_registry_attempts_bucket" and tags.get("le") == "1":
            retried = -value
    if attempts_count:
        retried += attempts_count
    if not requests or not step_sum:
        print("  (no step metrics: was the provisioner started with --admin-addr?)")
        return
    total = sum(step_sum.values())
    print(f"  where the time went ({int(requests)} requests; per request, summed over concurrent requests):")
    print(f"  {'step':<9} {'ms/request':>10} {'share':>6}")
    for step in ORDER + sorted(set(step_sum) - set(ORDER)):
        if step not in step_sum:
            continue
        per = step_sum[step] / requests * 1000
        print(f"  {step:<9} {per:>10.3f} {step_sum[step] / total * 100:>5.1f}%")
    print(f"  {'all steps':<9} {total / requests * 1000:>10.3f}")
    if attempts_count:
        print(f"  registry: {attempts_sum / attempts_count:.3f} attempts per issuance, "
              f"{int(retried)} of {int(attempts_count)} issuances decided again after a lost race")


if __name__ == "__main__":
    main()
