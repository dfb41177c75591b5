"""Folding: a big file's summary made from the distinct combinations of its text columns.

Ten million CUR rows hold some 30,000 distinct combinations of account, line type, product, SKU,
usage type, description, unit, currency, ... Staging every row (each text trimmed, each line type
classified, the free-tier and support texts matched) costs more than reading the file. A format
whose staging reads its measures (cost, quantity, usage start and end) only for their own staged
columns (`Staging.measures`) lets a summary be made in two steps instead:

1. `Fold.rows`: each source row's other columns as the file has them, its canonical measures
   (`quantity`, `billed_cost`, `charge_period_start`, `source_row`), the sign of its cost
   (`__sign`) and its measures' checks (`__suspect`, `__rounded`: `staging.split_row_flags`).
   The caller groups them by `Fold.dims`, adding the measures up, and numbers the groups
   (`__group`).
2. `Fold.canonical(folded)`: the format's own staging run over that grouped table, one row per
   group, as canonical rows whose `source_row` is the group's number, with the other columns'
   checks (`__suspect`); joined back on it, the caller adds the groups up into the summary.

The groups keep the cost's sign apart, and staging meets one of the group's costs as the file has
it (`carried`: its type too, whatever the file's): the one thing staging may ask of a cost besides
copying it, whether it is 0 (AWS free tier), has the answer of every row of the group; the other
measures are NULL there. The same summary, exactly:
tests/readers/test_fold.py compares the two ways over every sample file and the edge cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from workbench.billing.readers.format import ReportFormat, StageContext, Staging
from workbench.billing.readers.source import RawTable, TempObjects
from workbench.billing.readers.sql import ident
from workbench.billing.readers.staging import (MEASURES, StagedTypes, canonical_columns, canonical_select,
                                               split_row_flags)

__all__ = ["Fold", "fold"]

# The canonical columns the measures make, read per row in step 1.
_PER_ROW = ("quantity", "billed_cost", "charge_period_start", "source_row")


@dataclass(frozen=True)
class Fold:
    rows: str  # SELECT: `dims`, __sign, the `_PER_ROW` canonical columns, __suspect, __rounded, `carried`
    dims: tuple[str, ...]  # the source columns to group by (quoted), with "__sign"
    carried: dict[str, str]  # name -> aggregate: what each group must carry besides its sums (`canonical`)
    _restage: Callable[[str], str]

    def canonical(self, folded: str) -> str:
        """The canonical rows of `folded` (a relation with `dims`, `carried` and `__group`), one per
        group, `source_row` = `__group`, with `__suspect` for the checks of the other columns."""
        return self._restage(folded)


def fold(temps: TempObjects, raw: RawTable, report_format: ReportFormat, staging: Staging, types: StagedTypes,
         file: str, ctx: StageContext) -> Fold | None:
    """The fold of a staged file, or None when its format declares no measures (every row staged)."""
    if not staging.measures or not staging.ordered:
        return None
    unknown = set(staging.measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"{report_format.name}: not measures: {', '.join(sorted(unknown))}")
    con = temps.con
    column_types = {ident(str(name)): str(kind) for name, kind, *_ in con.execute(f"DESCRIBE {raw.name}").fetchall()}
    measured = {staged: column for staged, source in staging.measures.items()
                if (column := raw.column(source)) is not None}
    dims = tuple(c for c in column_types if c not in measured.values() and c != ident("__source_row"))
    per_row_flags, per_value_flags = split_row_flags(types, report_format.cost_column, report_format.currency_column)
    canonical = canonical_columns(types, file)
    staged = ", ".join(f"{raw.value(source)} AS {name}" for name, source in staging.measures.items())
    # sign() of a DECIMAL(38,18) costs 60% of the pass (DuckDB 2.0); two comparisons next to nothing
    sign = "CAST(billed_cost > 0 AS TINYINT) - CAST(billed_cost < 0 AS TINYINT)"
    # One cost of each group, as the file has it, stands in for the group's costs when staged again
    cost = measured.get("cost_text")
    carried = {"__cost": "any_value(__cost)"} if cost else {}
    kept = f", {cost} AS __cost" if cost else ""
    rows = (f"SELECT {', '.join(dims)}, {sign} AS __sign, {', '.join(_PER_ROW)}, __suspect, __rounded{kept and ', __cost'} "
            f"FROM (SELECT {', '.join(dims)}, {', '.join(canonical[name] for name in _PER_ROW)}, "
            f"{', '.join(f'{sql} AS {name}' for name, sql in per_row_flags.items())}{kept} "
            f"FROM (SELECT *, {staged}, __source_row AS source_row, 0 AS line_order FROM {raw.name}))")

    def restage(folded: str) -> str:
        bound = [*dims, *(f"{'__cost' if column == cost else f'CAST(NULL AS {column_types[column]})'} AS {column}"
                          for column in measured.values()), "__group AS __source_row"]
        view = temps.add("VIEW", f"{raw.name}_folded")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(bound)} FROM {folded}")
        again = report_format.stage(replace(ctx, raw=replace(raw, name=view)))
        restaged = temps.add("VIEW", f"{view}_staged")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {restaged} AS {again.sql}")
        return canonical_select(con, restaged, file, ordered=True, types=types, extra=per_value_flags)

    return Fold(rows, (*dims, "__sign"), carried, restage)
