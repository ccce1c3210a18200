"""`make bench`: screening cost against better-profanity, and word-list parity; results in bench/results/."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

from bench import parity, screening_speed


def main() -> int:
    started = time.time()
    print("Screening one 1500-character comment (median; the same generated comments for both)")
    print(f"{'lang':<5} {'ours':>10} {'better-profanity':>18} {'ratio':>8}")
    rows = screening_speed.run()
    for r in rows:
        print(f"{r['language']:<5} {r['ours_us']:>8.0f}us {r['better_profanity_ms']:>16.0f}ms {r['ratio']:>8.0f}x")
    checked, missed = parity.check()
    print(f"\nbetter-profanity's own list with its character variants: {checked} spellings it catches, "
          f"{checked - len(missed)} caught by us, {len(missed)} missed")
    for word, variant in missed[:20]:
        print(f"  missed {variant!r} (listed as {word!r})")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), "python": platform.python_version(),
        "screening": rows, "parity": {"checked": checked, "missed": len(missed)},
    }, indent=2))
    # Timings are reported, not judged (the machine is shared); a missed spelling is a defect.
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
