#!/usr/bin/env python3
"""Draws docs/benchmark.png from the benchmark's JSON results (argv[1] → argv[2])."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results = json.load(open(sys.argv[1]))
rows = results["rows"]
labels = ["raxx-host (new process)", "reference (Python)", "library (one process)", "raxx-node (new process)", "Node library (one process)"]
keys = ["cli_ms", "reference_ms", "library_ms", "node_ms", "node_library_ms"]
# A client the run skipped (no Python, no Node) has no bars.
present = [i for i, k in enumerate(keys) if any(row.get(k, 0) for row in rows)]
labels, keys = [labels[i] for i in present], [keys[i] for i in present]
fig, ax = plt.subplots(figsize=(11, 4.8))
width = 0.8 / len(rows)
for i, row in enumerate(rows):
    xs = [k + i * width for k in range(len(keys))]
    values = [row[k] for k in keys]
    bars = ax.bar(xs, values, width, label=row["label"])
    ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], fontsize=8)
ax.set_xticks([k + width * (len(rows) - 1) / 2 for k in range(len(keys))], labels)
ax.set_ylabel("median wall time per mint (ms)")
ax.set_title("One mint: Infisical login → list secrets → GitHub access_tokens (loopback fakes)")
ax.set_ylim(top=ax.get_ylim()[1] * 1.3)  # room for the legend above the bars
ax.legend(loc="upper left")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
