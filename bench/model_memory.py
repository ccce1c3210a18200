"""How much memory the trained models add to a worker: peak RSS of a process that screens comments
with the word list only, against one that screens them with the models too (each in its own process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROGRAM = """
import json, sys
from bench import corpus
from moderation.sitepolicy import Policies
texts = corpus.english(300) + corpus.arabic(300)
if sys.argv[1] == "models":
    from moderation.screening.screener import default_screener
    screen = default_screener().screen_text
else:
    from moderation.screening.normalise import warm_up
    from moderation.screening.screener import _matcher
    warm_up()
    screen = _matcher(Policies().defaults.lexicon_key).find
for text in texts:
    screen(text)
# VmHWM, this process's own peak: getrusage's ru_maxrss is carried over from the parent across fork and exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"max_rss_mb": int(hwm.split()[1]) / 1024}))
"""


def peak_mb(kind: str) -> float:
    out = subprocess.run([sys.executable, "-c", _PROGRAM, kind], capture_output=True, text=True, check=True,
                         timeout=300, cwd=ROOT)
    return float(json.loads(out.stdout)["max_rss_mb"])


def run() -> dict[str, float]:
    """Peak RSS in MB with the word list alone and with the models, and the difference."""
    without, with_models = peak_mb("list"), peak_mb("models")
    return {"without_mb": without, "with_mb": with_models, "added_mb": with_models - without}


if __name__ == "__main__":
    print(run())
