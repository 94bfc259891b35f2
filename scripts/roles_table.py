"""Print the roles table of the docs, generated from the permission table
(service/application/permissions.py); with --write, put it in docs/reference/roles.md.

    .venv/bin/python scripts/roles_table.py [--write]

tests/unit/test_roles_table.py fails when the committed table differs from this one."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.web.roles_table import roles_table, with_table  # noqa: E402

PAGE = ROOT / "docs" / "reference" / "roles.md"


def main(argv: list[str]) -> int:
    table = roles_table()
    if argv == ["--write"]:
        PAGE.write_text(with_table(PAGE.read_text(), table))
        print(f"wrote the roles table in {PAGE.relative_to(ROOT)}")
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(table, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
