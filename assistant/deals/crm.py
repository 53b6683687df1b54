"""Deals from a CRM export (a Salesforce opportunity report or a HubSpot deals export, as CSV):
their usual column names are mapped, other columns are reported, and every row is accounted
for: added, updated, or skipped with its reason. Never dropped silently."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.core.errors import DealError
from assistant.deals.store import DealStore

# Column headers by field, compared lower-case with spacing and punctuation folded.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("opportunity name", "deal name", "opportunity", "name"),
    "account": ("account name", "associated company", "company name", "company", "account"),
    "amount": (
        "amount",
        "opportunity amount",
        "deal amount",
        "amount converted",
        "total contract value",
        "acv",
    ),
    "currency": (
        "opportunity currency",
        "deal currency code",
        "currency",
        "currency code",
        "amount currency",
    ),
    "stage": ("stage", "deal stage", "opportunity stage", "stage name", "forecast category"),
    "close_date": ("close date", "expected close date", "closedate"),
    "owner": ("opportunity owner", "deal owner", "owner", "owner name", "account executive"),
    "competitor": ("primary competitor", "competitor", "competitors", "main competitor"),
    "products": ("product", "products", "product name", "line items", "product family"),
}
REQUIRED = ("name", "account")
MAX_BYTES = 20 * 1024 * 1024
_CURRENCY_RE = re.compile(
    r"^\s*(?P<cur>[A-Z]{3}|[$€£])?\s*(?P<num>-?[\d.,]+)\s*(?P<cur2>[A-Z]{3}|[$€£])?\s*$"
)
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {row, name, reason}
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> the header it came from

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "ignored_columns": self.ignored_columns,
            "columns": self.columns,
        }


def _fold(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def read_csv(data: bytes, source: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CRM export, or a one-line reason it cannot be read."""
    if not data.strip():
        raise DealError(f"{source}: the CSV file is empty")
    if len(data) > MAX_BYTES:
        raise DealError(f"{source}: over {MAX_BYTES // (1024 * 1024)} MB; export fewer columns")
    if b"\x00" in data[:65536]:
        raise DealError(f"{source}: not a CSV file (binary content)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's CSV on Windows
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
        rows = [r for r in reader]
    except (StopIteration, csv.Error) as exc:
        raise DealError(f"{source}: not a readable CSV file ({exc or 'no header'})") from None
    return header, [
        dict(zip(header, r + [""] * (len(header) - len(r)), strict=False))
        for r in rows
        if any(c.strip() for c in r)
    ]


def import_deals(store: DealStore, data: bytes, source: str) -> ImportReport:
    """Add or update the deals of a CRM export; each row in its own transaction."""
    header, rows = read_csv(data, source)
    report = ImportReport()
    folded = {_fold(h): h for h in header if h.strip()}
    for name, aliases in COLUMNS.items():
        found = next((folded[a] for a in aliases if a in folded), None)
        if found:
            report.columns[name] = found
    missing = [f for f in REQUIRED if f not in report.columns]
    if missing:
        wanted = "; ".join(
            f"{f}: one of {', '.join(repr(a) for a in COLUMNS[f][:3])}" for f in missing
        )
        raise DealError(f"{source}: no column for {wanted}")
    used = set(report.columns.values())
    report.ignored_columns = [h for h in header if h.strip() and h not in used]
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        name = row[report.columns["name"]].strip()
        try:
            fields = _fields(row, report.columns)
        except ValueError as exc:
            report.skipped.append({"row": n, "name": name, "reason": str(exc)})
            continue
        if not name:
            report.skipped.append({"row": n, "name": "", "reason": "no deal name"})
            continue
        if name.lower() in seen:
            report.skipped.append(
                {
                    "row": n,
                    "name": name,
                    "reason": f"duplicate deal name (row {seen[name.lower()]} kept)",
                }
            )
            continue
        seen[name.lower()] = n
        account = fields.pop("account")
        existing = store.exact(name)  # a CRM row names its deal exactly: no guessing
        try:
            if existing is None:
                store.create(name, account, source=source, **fields)
                report.added.append(name)
            elif existing.account.lower() == account.lower():
                store.update(existing, **fields)
                report.updated.append(name)
            else:
                reason = f"a deal of this name already exists for account {existing.account}"
                report.skipped.append({"row": n, "name": name, "reason": reason})
        except DealError as exc:
            report.skipped.append({"row": n, "name": name, "reason": str(exc)})
    return report


def _fields(row: dict[str, str], columns: dict[str, str]) -> dict[str, Any]:
    """The row's deal fields, only those the export has a column for: a re-import of a
    narrower export never blanks what an earlier one set."""

    def cell(name: str) -> str:
        return row.get(columns[name], "").strip()

    out: dict[str, Any] = {"account": cell("account")}
    if not out["account"]:
        raise ValueError("no account name")
    currency = cell("currency").upper() if "currency" in columns else ""
    if "amount" in columns:
        out["amount"], symbol = _amount(cell("amount"), currency)
        currency = currency or symbol
    if currency:
        out["currency"] = currency
    if "close_date" in columns:
        out["close_date"] = _date(cell("close_date"))
    for name in ("stage", "owner", "competitor"):
        if name in columns:
            out[name] = cell(name)
    if "products" in columns:
        products = re.split(r"[;|]|,(?! )", cell("products"))
        out["products"] = [p.strip() for p in products if p.strip()]
    return out


def _amount(text: str, currency: str = "") -> tuple[float | None, str]:
    """A CRM amount and the currency its symbol names. One separator before exactly three
    digits is a thousands separator ("12,000"; "1.200" in euros), otherwise a decimal point
    ("1,5" is one and a half)."""
    if not text:
        return None, ""
    m = _CURRENCY_RE.match(text.replace("\u00a0", " "))
    if not m:
        raise ValueError(f"amount {text!r} is not a number")
    number = m["num"]
    symbol = _SYMBOLS.get(m["cur"] or m["cur2"] or "", m["cur"] or m["cur2"] or "")
    euro = (currency or symbol) == "EUR"
    if "," in number and "." in number:  # both: the last one is the decimal point
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
        number = number.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in number or "." in number:
        sep = "," if "," in number else "."
        tail = number.rpartition(sep)[2]
        thousands = len(tail) == 3 and (sep == "," or euro or number.count(".") > 1)
        number = number.replace(sep, "") if thousands else number.replace(",", ".")
    try:
        return float(number), symbol
    except ValueError:
        raise ValueError(f"amount {text!r} is not a number") from None


def _date(text: str) -> dt.date | None:
    """ISO (with or without a time), or a US-style MM/DD/YYYY (DD/MM when the first part is
    over 12), or DD.MM.YYYY."""
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
        m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", text)
        if m:
            a, b, year = int(m[1]), int(m[2]), int(m[3])
            year += 2000 if year < 100 else 0
            month, day = (b, a) if (a > 12 or "." in text) else (a, b)
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise ValueError(f"close date {text!r} is not a date")
