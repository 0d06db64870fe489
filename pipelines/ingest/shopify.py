"""Shopify orders exports: one row per line item, folded into orders.

Order-level fields are filled only on an order's first row; later rows repeat `Name` and `Email`.
Orders take their fields from the first row (never summed over line items); every row becomes an
order line. Timestamps carry an offset and are converted to the reporting time zone. All financial
statuses are kept; which ones count as valid is a KPI's business.

Python reads the header; DuckDB types, checks and folds the rows (any file size, bounded memory).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest import native
from pipelines.ingest import sql_values as v
from pipelines.ingest.columns import AtLeast, Cell, DeclaredChecks, OneOf, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native import Check, Column
from pipelines.ingest.native_csv import (
    UNSAVED,
    CsvFile,
    CsvLoad,
    Layer,
    hash_columns,
    path_or_bytes,
    refusal,
)
from pipelines.ingest.options import IngestOptions, require_salt
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import head_text, split_rows, unused_column_warnings

ORDERS = "orders"
ORDER_LINES = "order_lines"
FINANCIAL_STATUSES = {
    "paid",
    "pending",
    "authorized",
    "partially_paid",
    "partially_refunded",
    "refunded",
    "voided",
}
_AMOUNT = (AtLeast(0),)
ORDERS_TABLE = RawTable(
    ORDERS,
    (
        RawColumn("order_name", "str", nullable=False, missing="order name is present"),
        RawColumn("order_id", "str"),
        RawColumn("email", "str", pii="email"),
        RawColumn(
            "financial_status",
            "str",
            nullable=False,
            rules=(
                OneOf(
                    tuple(sorted(FINANCIAL_STATUSES)),
                    f"one of {', '.join(sorted(FINANCIAL_STATUSES))}",
                ),
            ),
        ),
        RawColumn("fulfillment_status", "str"),
        RawColumn("currency", "str"),
        RawColumn("subtotal", "float", rules=_AMOUNT),
        RawColumn("shipping", "float", rules=_AMOUNT),
        RawColumn("taxes", "float", rules=_AMOUNT),
        RawColumn(
            "total",
            "float",
            nullable=False,
            rules=_AMOUNT,
            missing="the order's first row has its total",
        ),
        RawColumn("discount_code", "str"),
        RawColumn("discount_amount", "float", rules=_AMOUNT),
        RawColumn("refunded_amount", "float", rules=_AMOUNT),
        RawColumn(
            "created_at",
            "timestamp",
            nullable=False,
            missing="the order's first row has its creation time",
        ),
        RawColumn("created_at_utc", "timestamp"),
        RawColumn("paid_at", "timestamp"),
        RawColumn("cancelled_at", "timestamp"),
        RawColumn("source_name", "str"),
        RawColumn("billing_name", "str", pii="name"),
        RawColumn("billing_street", "str", pii="street"),
        RawColumn("billing_city", "str"),
        RawColumn("billing_zip", "str"),
        RawColumn("billing_country", "str"),
        RawColumn("phone", "str", pii="phone"),
        # The order's accepted lines, counted by the reader.
        RawColumn("line_items", "int", nullable=False, rules=(AtLeast(1),), computed=True),
    ),
    unique=("order_name",),
    entity="orders",
    description="One row per order (fields from the order's first row in the export).",
    day="cast(created_at as date)",
    volume_checked=True,
    row_time="created_at",
)
LINES_TABLE = RawTable(
    ORDER_LINES,
    (
        RawColumn("order_name", "str", nullable=False, missing="order name is present"),
        # The line's place among its order's accepted lines, counted by the reader.
        RawColumn("line_number", "int", nullable=False, rules=(AtLeast(1),), computed=True),
        RawColumn(
            "quantity",
            "int",
            nullable=False,
            rules=(AtLeast(0, "is a whole number >= 0"),),
            missing="is a whole number >= 0",
        ),
        RawColumn("item_name", "str"),
        RawColumn("price", "float", rules=_AMOUNT),
        RawColumn("sku", "str"),
        RawColumn("discount", "float"),
    ),
    unique=("order_name", "line_number"),
    entity="order_lines",
    description="One row per line item.",
)
ORDERS_SCHEMA = ORDERS_TABLE.arrow_schema
LINES_SCHEMA = LINES_TABLE.arrow_schema
# The columns of the export as the tool writes it; any other column is new (schema drift).
EXPORT_HEADER = (
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
)
EXPORT_COLUMNS = frozenset(EXPORT_HEADER)
REQUIRED = ("Name", "Email", "Financial Status", "Created at", "Total", "Lineitem quantity")
_MONEY = {
    "subtotal": "Subtotal",
    "shipping": "Shipping",
    "taxes": "Taxes",
    "total": "Total",
    "discount_amount": "Discount Amount",
    "refunded_amount": "Refunded Amount",
}
_TIMES = {"created_at": "Created at", "paid_at": "Paid at", "cancelled_at": "Cancelled at"}
_TIMESTAMP = "%Y-%m-%d %H:%M:%S %z"
_ORDER_TEXTS = {
    "order_id": "Id",
    "email": "Email",
    "discount_code": "Discount Code",
    "source_name": "Source",
    "billing_name": "Billing Name",
    "billing_street": "Billing Street",
    "billing_city": "Billing City",
    "billing_country": "Billing Country",
}
_LINE_TEXTS = {"item_name": "Lineitem name", "sku": "Lineitem sku"}


def parse(
    data: bytes | Path,
    file: str,
    reporting_timezone: str,
    *,
    workdir: Path | None = None,
    lineage: Lineage = UNSAVED,
    salt: str | None = None,
) -> ParsedFile:
    """Read an export given as a path (rows staged as Parquet in `workdir`, personal data hashed
    with `salt`) or as bytes (rows returned as tables, personal data as is)."""

    def read(path: Path, scratch: Path, salt: str | None) -> ParsedFile:
        return _parse_path(path, file, reporting_timezone, scratch, lineage, salt)

    schemas = {ORDERS: ORDERS_SCHEMA, ORDER_LINES: LINES_SCHEMA}
    return path_or_bytes(data, workdir, read, schemas, salt)


def _parse_path(
    path: Path,
    file: str,
    reporting_timezone: str,
    workdir: Path,
    lineage: Lineage,
    salt: str | None,
) -> ParsedFile:
    text, encoding = head_text(path, file)
    rows = split_rows(text.splitlines()[0], ",") if text.strip() else []
    if not rows:
        raise FileRefused(file, "the file has no header")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(
            file,
            f"not a Shopify orders export: column(s) missing: {', '.join(missing)}",
            line=1,
        )
    index = {name: i for i, name in enumerate(header)}
    csv = CsvFile(path, encoding, ",", lines_before=1, width=len(header))
    columns, checks, layers, windows = _columns_and_checks(index, reporting_timezone)
    con = native.connect(workdir)
    load = CsvLoad(con, csv, workdir / "checked")
    staged = {table: workdir / f"{table}.parquet" for table in (ORDERS, ORDER_LINES)}
    lineage_columns = native.lineage_sql(lineage)

    try:
        load.check(columns=columns, checks=checks, layers=layers, windows=windows)
        summary = load.summary(
            "created_at",
            day_rows="_order_kept",
            extra="count(*) filter (where not _skip and (_problem is null) <> _accepted)",
        )
        if summary.extra:  # the line numbers were counted over exactly the rows that pass
            raise RuntimeError(f"{summary.extra} rows accepted by one pass and not the other")
        for table, where in ((LINES_TABLE, "_problem is null"), (ORDERS_TABLE, "_order_kept")):
            values = ", ".join(f.name for f in table.arrow_schema if f.name != "_row_number")
            load.write(
                f"select {values}, _line as _row_number{hash_columns(table.pii, salt)}, "
                f"{lineage_columns} "
                f"from {load.rows} where {where}",
                staged[table.name],
            )
        rejected = load.rejected()
    except duckdb.Error as exc:
        raise refusal(file, "a Shopify orders export", exc) from exc
    finally:
        load.close()
        con.close()
    return ParsedFile(
        rows_read=summary.rows_read,
        rows_loaded=summary.rows_loaded,
        staged=staged,
        rejected=rejected,
        first_date=summary.first_date,
        last_date=summary.last_date,
        warnings=[*load.warnings, *unused_column_warnings(header, EXPORT_COLUMNS)],
    )


def _bad(column: str) -> str:
    """The name of the flag set when a numeric cell is not a number."""
    return "_bad_" + column.lower().replace(" ", "_")


def _columns_and_checks(
    index: dict[str, int], reporting_timezone: str
) -> tuple[list[Column], list[Check], tuple[Layer, ...], tuple[Layer, ...]]:
    def cell(column: str) -> str:
        return f"c{index[column]}" if column in index else "cast(null as varchar)"

    def raw(column: str) -> str:
        return f"trim(coalesce({cell(column)}, ''))"

    # Layer 1: each cell parsed once, and which row is an order's first.
    parsed = [("_name", raw("Name")), ("_status", f"lower({raw('Financial Status')})")]
    parsed += [(f"_{n}", f"try_strptime({raw(c)}, '{_TIMESTAMP}')") for n, c in _TIMES.items()]
    parsed += [(f"_{n}", v.number(cell(c), ".")) for n, c in _MONEY.items()]
    parsed += [
        ("_quantity", v.number(cell("Lineitem quantity"), ".")),
        ("_price", v.number(cell("Lineitem price"), ".")),
        ("_line_discount", v.number(cell("Lineitem discount"), ".")),
    ]
    numeric = [*_MONEY.values(), "Lineitem quantity", "Lineitem price", "Lineitem discount"]
    parsed += [(_bad(c), f"not {v.is_number_or_empty(cell(c), '.')}") for c in numeric]
    number_check = "is a number (1,234.56)"
    timestamp_check = "timestamp like 2026-09-01 18:25:25 +0200"
    orders = DeclaredChecks(
        ORDERS_TABLE,
        {
            "order_name": Cell(
                "nullif(_name, '')",
                "Name",
                "''",
                implied_by="every row's Name is checked first (order name is present)",
            ),
            "financial_status": Cell("_status", "Financial Status", "_status"),
            "created_at": Cell(f"nullif({raw('Created at')}, '')", "Created at", "''"),
            **{n: Cell(f"_{n}", c, raw(c)) for n, c in _MONEY.items()},
        },
    )
    # Checks of the order's own fields, made on its first row only.
    order_checks = [
        *orders.of("financial_status"),
        *orders.presence("created_at"),
        Check(  # exports never hold the future (a day's tolerance for time zones)
            f"cast({v.in_zone('_created_at', reporting_timezone)} as date) > current_date + 1",
            "Created at",
            "date is not in the future",
            raw("Created at"),
        ),
        *(
            Check(f"{raw(c)} <> '' and _{n} is null", c, timestamp_check, raw(c))
            for n, c in _TIMES.items()
        ),
        *(Check(_bad(c), c, number_check, raw(c)) for c in _MONEY.values()),
        *orders.presence("total"),
        *(check for n in _MONEY for check in orders.rules(n)),
        *orders.rest(),
    ]
    # A check that yields null (a missing optional column) has not failed, as in the checks below.
    order_bad = " or ".join(f"coalesce({c.failed}, false)" for c in order_checks)
    quantity, price, discount = "Lineitem quantity", "Lineitem price", "Lineitem discount"
    lines = DeclaredChecks(
        LINES_TABLE,
        {
            "order_name": Cell("nullif(_name, '')", "Name", "''"),
            "quantity": Cell("_quantity", quantity, raw(quantity)),
            "price": Cell("_price", price, raw(price)),
        },
    )
    name_present = lines.presence("order_name")
    line_checks = [
        Check(_bad(quantity), quantity, "is a whole number", raw(quantity)),
        *lines.presence("quantity"),
        Check("_quantity <> floor(_quantity)", quantity, "is a whole number >= 0", raw(quantity)),
        *lines.rules("quantity"),
        Check(_bad(price), price, number_check, raw(price)),
        *lines.rules("price"),
        Check(_bad(discount), discount, number_check, raw(discount)),
        *lines.rest(),
    ]
    line_bad = " or ".join(f"coalesce({c.failed}, false)" for c in line_checks)
    # Computed on the order-number and amount columns only, before the rows are typed: which
    # row opens an order, whether that order is kept, and each accepted line's number.
    order = "(partition by _name order by _rn rows between unbounded preceding and {})"
    windows = (
        [("_opens_bad", f"_name = '' or ({order_bad})"), ("_line_bad", f"({line_bad})")],
        [
            ("_first", f"row_number() over {order.format('current row')} = 1"),
            ("_order_refused", f"first_value(_opens_bad) over {order.format('current row')}"),
        ],
        [
            ("_order_kept", "_first and not _order_refused"),
            ("_accepted", "not _order_refused and not _line_bad"),
        ],
        [
            ("_line_number", f"sum(_accepted::int) over {order.format('current row')}"),
            ("_line_items", f"sum(_accepted::int) over {order.format('unbounded following')}"),
        ],
    )
    checks = [
        *name_present,
        Check(
            "not _first and _order_refused", "Name", "the order's first row was rejected", "_name"
        ),
        *(Check(f"_first and ({c.failed})", c.column, c.check, c.value) for c in order_checks),
        *line_checks,
    ]

    def local(name: str) -> str:
        return v.in_zone(f"_{name}", reporting_timezone)

    phone = f"coalesce({v.text(cell('Phone'))}, {v.text(cell('Billing Phone'))})"
    zip_code = f"nullif(ltrim({raw('Billing Zip')}, ''''), '')"  # Excel's leading quote
    columns = [
        Column("order_name", "varchar", "_name"),
        *(Column(n, "varchar", v.text(cell(c))) for n, c in _ORDER_TEXTS.items()),
        Column("financial_status", "varchar", "_status"),
        Column("fulfillment_status", "varchar", f"nullif(lower({raw('Fulfillment Status')}), '')"),
        Column("currency", "varchar", f"nullif(upper({raw('Currency')}), '')"),
        *(Column(n, "double", f"_{n}") for n in _MONEY),
        Column("created_at", "timestamp", local("created_at")),
        Column("created_at_utc", "timestamp", v.in_zone("_created_at", "UTC")),
        Column("paid_at", "timestamp", local("paid_at")),
        Column("cancelled_at", "timestamp", local("cancelled_at")),
        Column("billing_zip", "varchar", zip_code),
        Column("phone", "varchar", phone),
        Column("quantity", "bigint", "_quantity"),
        Column("price", "double", "_price"),
        Column("discount", "double", "_line_discount"),
        *(Column(n, "varchar", v.text(cell(c))) for n, c in _LINE_TEXTS.items()),
        Column("_order_kept", "boolean", "_order_kept"),
        Column("_accepted", "boolean", "_accepted"),
        Column("line_number", "bigint", "_line_number"),
        Column("line_items", "bigint", "_line_items"),
    ]
    return columns, checks, (parsed,), windows


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    salt = require_salt(options)
    return _parse_path(
        path, lineage.source_file, options.reporting_timezone, workdir, lineage, salt
    )


SOURCE = Source(
    name="shopify",
    landing_folder="orders",
    label="Shopify order",
    description="Shopify orders exports (one row per line item).",
    tables=(ORDERS_TABLE, LINES_TABLE),
    coverage=ORDERS,
    read=read,
)
