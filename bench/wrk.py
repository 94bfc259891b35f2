"""wrk, the load the HTTP benchmarks share: the Lua scripts that post activities (the
service) or rows (the minimal endpoint), a run of wrk in the background while the
benchmark does something else, and the figures read from its output.

wrk is Debian's package; the Makefile's targets that use it install it when missing."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass

MEMBERS = ("ana", "ben", "caro", "dev")


def activities_script(allocations: list[str], token: str, day: str) -> str:
    """Activities posted round-robin over `allocations`, by the bearer of `token`."""
    quoted = ", ".join(f'"{a}"' for a in allocations)
    members = ", ".join(f'"{m}"' for m in MEMBERS)
    return f"""
local allocations = {{{quoted}}}
local members = {{{members}}}
local headers = {{["Authorization"] = "Bearer {token}",
                 ["Content-Type"] = "application/json"}}
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{{"team_member": "%s", "units": %d, "description": "wrk %d", '
    .. '"date_from": "{day}", "date_to": "{day}"}}',
    members[n % #members + 1], 1 + n % 3, n)
  return wrk.format("POST", "/api/allocations/" .. allocations[n % #allocations + 1]
    .. "/activities", headers, body)
end
"""


def rows_script() -> str:
    """The same bodies, less the dates, posted to the minimal endpoint's /rows."""
    members = ", ".join(f'"{m}"' for m in MEMBERS)
    return f"""
local members = {{{members}}}
local headers = {{["Content-Type"] = "application/json"}}
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{{"team_member": "%s", "units": %d, "description": "wrk %d"}}',
    members[n % #members + 1], 1 + n % 3, n)
  return wrk.format("POST", "/rows", headers, body)
end
"""


@dataclass(frozen=True)
class Figures:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    failed: int  # non-2xx answers and socket errors


def figures(output: str) -> Figures:
    """Requests per second, p50 and p99 latency (ms), and failed requests, from wrk's
    output (run with --latency)."""
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {
        int(m[1]): float(m[2]) * units[m[3]]
        for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    failed = sum(int(m) for m in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed += sum(int(n) for n in socket.groups()) if socket else 0
    return Figures(rps, latency[50], latency[99], failed)


class Load:
    """wrk posting `script` to `url` on `connections` connections for `seconds`,
    started at once and running in the background until `finish`."""

    def __init__(self, url: str, script: str, connections: int, seconds: float) -> None:
        self.seconds = seconds
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
            file.write(script)
        self.script_path = file.name
        command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections)]
        command += ["-d", f"{seconds:g}s", "--timeout", "30s", "--latency"]
        self.process = subprocess.Popen(
            [*command, "-s", self.script_path, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self) -> Figures:
        """Wait for wrk to end; its figures (SystemExit with its output if it failed)."""
        try:
            output, _ = self.process.communicate(timeout=self.seconds + 60)
        finally:
            os.unlink(self.script_path)
        if self.process.returncode != 0:
            raise SystemExit(f"wrk failed: {output}")
        return figures(output)


def run(url: str, script: str, connections: int, seconds: float) -> Figures:
    """One wrk run, waited for."""
    return Load(url, script, connections, seconds).finish()
