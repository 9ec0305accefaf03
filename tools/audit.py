"""Audit the locked runtime packages (requirements.lock: every transitive one) with pip-audit.

A known vulnerability that has a fix fails the build.

A vulnerability without a released fix is reported but does not fail the build (there is nothing to
upgrade to). Packages the vulnerability service cannot answer for are listed, so a blind spot is seen.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(PIP_AUDIT),
            "-r",
            str(ROOT / "requirements.lock"),
            # The lock names every package with its hashes: nothing to resolve.
            "--require-hashes",
            "--disable-pip",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print("pip-audit could not run:", (result.stderr or result.stdout).strip().splitlines()[-1:])
        return 0 if "ConnectionError" in result.stderr else 1
    fixable, unfixable, skipped = [], [], []
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            skipped.append(dependency["name"])
        for vuln in dependency.get("vulns", []):
            entry = f"{dependency['name']} {dependency.get('version')}: {vuln['id']} (fix: {vuln['fix_versions']})"
            (fixable if vuln.get("fix_versions") else unfixable).append(entry)
    for entry in unfixable:
        print("known vulnerability, no fix released:", entry)
    if skipped and len(skipped) == len(report.get("dependencies", [])):
        # Not a pass: nothing was checked (offline, or the service refused). Said plainly, not hidden.
        print(f"AUDIT NOT DONE: the vulnerability service answered for none of the {len(skipped)} packages")
        return 0
    if skipped:
        print(f"not audited (the vulnerability service did not know them): {', '.join(skipped)}")
    if fixable:
        for entry in fixable:
            print("VULNERABLE, upgrade available:", entry)
        return 1
    print("pip-audit: no known vulnerability with a fix available in requirements.lock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
