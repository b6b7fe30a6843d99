"""Reading /metrics as Prometheus does (the client library's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def total(found: Samples, metric: str, **labels: str) -> float:
    """The sum of `metric`'s samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (n, have), value in found.items() if n == metric and wanted <= set(have))
