"""An allowlist contract: a package may import the standard library and the named modules only.

import-linter's own contracts forbid named modules; a layer that must stay pure needs the
opposite, so a new dependency fails `make lint` until someone adds it here on purpose.
"""

from __future__ import annotations

import sys
from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class AllowlistContract(Contract):
    type_name = "allowlist"

    source_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        allowed = tuple(self.allowed_modules)  # type: ignore[attr-defined]
        stdlib = sys.stdlib_module_names
        broken: list[dict[str, Any]] = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            for importer in sorted({source, *graph.find_descendants(source)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    top = imported.split(".")[0]
                    if top in stdlib or any(
                        imported == a or imported.startswith(f"{a}.") for a in allowed
                    ):
                        continue
                    lines = [
                        d["line_number"]
                        for d in graph.get_import_details(importer=importer, imported=imported)
                    ]
                    broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for b in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in b["lines"])
            output.print_error(
                f"{b['importer']} imports {b['imported']} ({lines}), which is not allowed",
                bold=False,
            )
            output.new_line()
