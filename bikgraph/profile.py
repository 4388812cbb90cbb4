"""Parse a BIK+ Policy Monitor country profile page: text in, a `Profile` out.

Pure: no files, no RDF. It knows the layout variants of the page (see
data/reference/README.md and the rating codebook):

- the page may repeat itself: identical copies are one profile, different copies are an error;
- page chrome (navigation, banners) around the content is ignored: the content runs from
  "Here, we take an in-depth look at the latest monitoring information for <country>." to
  "Please note, the data used in this page ... was collected in <month> <year>.";
- rating tables come as markdown-like rows (`label | X | |||`), whose X positions were lost,
  or as plain text (`Table 1: Topic summary - ...`, header ` HighMediumLowOther`, one space per
  empty cell before the X), whose positions survive and make the table a reliable basis;
- the 2025 layout: "Not present" columns, "Influence of the BIK+ strategy", a summary paragraph;
- LF or CRLF line ends.

Every finding and table row keeps its line and character offsets in the text as received.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from .errors import SourceError
from .structure import Area, MonitorStructure, normalise_label

START = re.compile(r"^Here, we take an in-depth look at the latest monitoring information for (?P<country>[^.]+)\.$")
END = re.compile(r"^Please note, the data used in this page and the corresponding country profile was "
                 r"collected in (?P<month>[A-Za-z]+) (?P<year>\d{4})\.$")
INDEX = re.compile(r"^BIK\+ index (?P<year>\d{4}): (?P<country>.+)$")
IN_COUNTRY = re.compile(r"^In [A-Z][^:]{1,40}:$")
PLAIN_CAPTION = re.compile(r"^Table \d+: Topic summary\b")
SEPARATOR = re.compile(r"^[-| :]+$")
PLAIN_ROW = re.compile(r"^(?P<label>.*?\S)(?P<gap> *)X\s*$")
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}

START_EXAMPLE = "'Here, we take an in-depth look at the latest monitoring information for <country>.'"
END_EXAMPLE = "'Please note, the data used in this page ... was collected in <month> <year>.'"


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str  # without the line end
    offset: int  # character offset of the line's first character in the whole text


@dataclass(frozen=True)
class Finding:
    area: str
    subheading: str | None
    position: int  # 1-based within its area
    text: str  # exact text, without the bullet marker
    form: str  # "bullet" or "paragraph"
    line: int
    char_start: int
    char_end: int


@dataclass(frozen=True)
class TableRow:
    indicator: str
    label: str  # as written
    line: int
    column: int | None  # 0-based column holding the X, as the text shows it; None: no mark
    level: str | None  # level key, only when the table is reliable


@dataclass(frozen=True)
class Table:
    area: str
    line: int  # header line
    layout: str  # "markdown" or "plain"
    reliable: bool
    columns: tuple[str, ...]  # level keys in column order
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Profile:
    source: str
    country: str
    country_line: int
    edition: int
    edition_line: int
    data_collection: tuple[int, int]  # (year, month)
    summary: str | None
    summary_line: int | None
    findings: tuple[Finding, ...]
    tables: tuple[Table, ...]
    copies: int
    line_count: int
    start_line: int
    end_line: int

    def table_of(self, area: str) -> Table:
        return next(t for t in self.tables if t.area == area)


def decode_source(data: bytes, source: str) -> str:
    """Decode a profile's bytes as UTF-8, naming the line and column of a malformed byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(source, line, f"malformed UTF-8: byte 0x{data[exc.start]:02x} at column "
                                        f"{column} is not valid UTF-8 ({exc.reason})") from None


def split_lines(text: str) -> list[Line]:
    """Split on LF only (CR before it belongs to the line end), keeping each line's offset."""
    lines, offset = [], 0
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw[:-1] if raw.endswith("\r") else raw
        lines.append(Line(number, content, offset))
        offset += len(raw) + 1
    if lines and lines[-1].text == "" and text.endswith("\n"):
        lines.pop()  # the final line end does not start another line
    return lines


def parse_profile(text: str, structure: MonitorStructure, source: str = "<profile>") -> Profile:
    """Parse one profile page. Raises SourceError naming the source and line on bad input."""
    if not text.strip():
        raise SourceError(source, 1, "empty file: there is no profile text")
    lines = split_lines(text)
    starts = [i for i, line in enumerate(lines) if START.match(_content(line))]
    if not starts:
        raise SourceError(source, 1, "not a BIK+ Policy Monitor country profile: no line " + START_EXAMPLE)
    copies = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        end = next((i for i in range(start, stop) if END.match(lines[i].text.strip())), None)
        if end is None:
            raise SourceError(source, lines[stop - 1].number,
                              f"truncated profile: the page that starts at line {lines[start].number} "
                              f"ends without the closing line {END_EXAMPLE}")
        copies.append((start, end))
    _check_copies_identical(lines, copies, source)
    start, end = copies[0]
    return _CopyParser(lines, start, end, structure, source, len(copies)).parse()


def _content(line: Line) -> str:
    return line.text.lstrip("\ufeff").strip()


def _check_copies_identical(lines: list[Line], copies: list[tuple[int, int]], source: str) -> None:
    def comparable(span):
        return [(lines[i].number, lines[i].text.strip()) for i in range(span[0], span[1] + 1)
                if lines[i].text.strip()]

    first = comparable(copies[0])
    for span in copies[1:]:
        other = comparable(span)
        for (a_no, a), (b_no, b) in zip(first, other):
            if a != b:
                raise SourceError(source, b_no, f"two different versions of the page: line {b_no} "
                                                f"differs from line {a_no} of the first copy")
        if len(first) != len(other):
            at = other[-1][0] if len(other) < len(first) else other[len(first)][0]
            raise SourceError(source, at, f"two different versions of the page: the copy starting at "
                                          f"line {lines[span[0]].number} has {len(other)} non-empty "
                                          f"lines, the first copy {len(first)}")


class _TableBuilder:
    def __init__(self, area: Area, line: int, layout: str, columns: tuple[str, ...]):
        self.area, self.line, self.layout, self.columns = area, line, layout, columns
        self.rows: list[TableRow] = []

    @property
    def reliable(self) -> bool:
        # The markdown-like rendering puts every X in the first cell: its position means nothing.
        return self.layout == "plain"

    def build(self) -> Table:
        return Table(self.area.key, self.line, self.layout, self.reliable, self.columns, tuple(self.rows))


class _CopyParser:
    """A line-by-line state machine over one copy of the page."""

    def __init__(self, lines, start, end, structure, source, copies):
        self.lines, self.start, self.end = lines, start, end
        self.s, self.source, self.copies = structure, source, copies
        self.country = START.match(_content(lines[start]))["country"].strip()
        self.dimension = None
        self.area: Area | None = None
        self.subheading = None
        self.after = "start"  # what the previous meaningful line was
        self.table: _TableBuilder | None = None
        self.expect_plain_header = False
        self.findings: list[Finding] = []
        self.tables: list[Table] = []
        self.areas_seen: list[str] = []
        self.positions: dict[str, int] = {}
        self.summary: list[Line] = []
        self.edition: tuple[int, int] | None = None

    def error(self, line: Line | int, message: str) -> SourceError:
        return SourceError(self.source, line if isinstance(line, int) else line.number, message)

    def parse(self) -> Profile:
        for line in self.lines[self.start + 1:self.end]:
            self.feed(line)
        self.close_table()
        last = self.lines[self.end]
        missing = [a.label for a in sorted(self.s.areas.values(), key=lambda a: a.order)
                   if a.key not in self.areas_seen]
        if missing:
            raise self.error(last, "truncated profile: the page ends without the area(s) " + ", ".join(missing))
        for key in self.areas_seen:
            if not any(t.area == key for t in self.tables):
                raise self.error(last, f"truncated profile: area '{self.s.areas[key].label}' has no rating table")
        if self.edition is None:
            raise self.error(last, "no edition: the line 'BIK+ index <year>: <country>' is missing")
        end = END.match(last.text.strip())
        month = MONTHS[end["month"].lower()] if end["month"].lower() in MONTHS else None
        if month is None:
            raise self.error(last, f"unknown month {end['month']!r} in the data collection line")
        return Profile(
            source=self.source, country=self.country, country_line=self.lines[self.start].number,
            edition=self.edition[0], edition_line=self.edition[1],
            data_collection=(int(end["year"]), month),
            summary=" ".join(line.text.strip() for line in self.summary) or None,
            summary_line=self.summary[0].number if self.summary else None,
            findings=tuple(self.findings), tables=tuple(self.tables), copies=self.copies,
            line_count=len(self.lines), start_line=self.lines[self.start].number, end_line=last.number)

    # ------------------------------------------------------------------ one line
    def feed(self, line: Line) -> None:
        text = line.text.strip()
        if not text:
            return
        if self.table is not None and self.feed_table_row(line, text):
            return
        if self.expect_plain_header:
            self.open_plain_table(line)
            return
        if (dimension := self.s.find("dimension", text)) is not None:
            self.close_area()
            self.dimension, self.area, self.after = dimension, None, "dimension"
            return
        if (area := self.s.find("area", text)) is not None:
            self.enter_area(line, area)
            return
        if self.area is not None and (sub := self.s.find("subheading", text)) is not None and sub.area == self.area.key:
            self.subheading, self.after = sub, "subheading"
            return
        if (index := INDEX.match(text)) is not None:
            self.close_area()
            if normalise_label(index["country"]) != normalise_label(self.country):
                raise self.error(line, f"the index line names {index['country']!r} but the page is about "
                                       f"{self.country!r}")
            self.edition = (int(index["year"]), line.number)
            self.area, self.after = None, "index"
            return
        if self.after == "index" or IN_COUNTRY.match(text):
            return  # the index's explanation (a chart in the original) / "In Belgium:"
        if PLAIN_CAPTION.match(text):
            self.require_area(line, "a rating table")
            self.expect_plain_header = True
            return
        if text.startswith("- ") or text == "-":  # before tables: a sentence may contain a '|'
            self.add_finding(line, text[1:].strip(), "bullet")
            return
        if "|" in text:
            self.open_markdown_table(line, text)
            return
        if self.dimension is None:
            self.summary.append(line)  # 2025: a summary paragraph before the first dimension
        elif self.after in ("dimension", "area"):
            self.after = "description"  # the monitor's generic description of a dimension or area
        else:
            self.add_finding(line, text, "paragraph")

    def enter_area(self, line: Line, area: Area) -> None:
        self.close_area()
        if self.dimension is None or area.dimension != self.dimension.key:
            raise self.error(line, f"area '{area.label}' appears outside its dimension "
                                   f"'{self.s.dimensions[area.dimension].label}'")
        if area.key in self.areas_seen:
            raise self.error(line, f"area '{area.label}' appears twice in one copy of the page")
        self.areas_seen.append(area.key)
        self.area, self.subheading, self.after = area, None, "area"

    def close_area(self) -> None:
        # An area without a table is reported at the end, with the page's last line, as a truncation.
        self.close_table()

    def require_area(self, line: Line, what: str) -> Area:
        if self.area is None:
            raise self.error(line, f"{what} outside any area or pillar")
        return self.area

    def add_finding(self, line: Line, text: str, form: str) -> None:
        area = self.require_area(line, "a narrative " + form)
        if not text:
            raise self.error(line, "empty bullet")
        self.positions[area.key] = self.positions.get(area.key, 0) + 1
        start = line.offset + line.text.index(text)
        self.findings.append(Finding(area.key, self.subheading.key if self.subheading else None,
                                     self.positions[area.key], text, form, line.number,
                                     start, start + len(text)))
        self.after = "finding"

    # ------------------------------------------------------------------ tables
    def scale_columns(self, line: Line, labels: list[str]) -> tuple[str, ...]:
        scale = self.s.scale_of_area(self.area.key)
        columns = []
        for label in labels:
            level = scale.level_for_column(label)
            if level is None:
                raise self.error(line, f"unknown table column {label!r} in the table of "
                                       f"'{self.area.label}'; its scale has "
                                       + ", ".join(lv.label for lv in scale.levels))
            columns.append(level.key)
        return tuple(columns)

    def open_markdown_table(self, line: Line, text: str) -> None:
        area = self.require_area(line, "a rating table")
        if any(t.area == area.key for t in self.tables):
            raise self.error(line, f"a second rating table in '{area.label}'")
        labels = [cell.strip() for cell in text.split("|") if cell.strip()]
        self.table = _TableBuilder(area, line.number, "markdown", self.scale_columns(line, labels))

    def open_plain_table(self, line: Line) -> None:
        self.expect_plain_header = False
        scale = self.s.scale_of_area(self.area.key)
        rest, labels = line.text.strip(), []
        while rest:
            level = next((lv for lv in scale.levels if rest.lower().startswith(lv.label.lower())), None)
            if level is None:
                raise self.error(line, f"unknown table column starting at {rest!r} in the table of "
                                       f"'{self.area.label}'; its scale has "
                                       + ", ".join(lv.label for lv in scale.levels))
            labels.append(level.label)
            rest = rest[len(level.label):].lstrip()
        self.table = _TableBuilder(self.area, line.number, "plain", self.scale_columns(line, labels))

    def feed_table_row(self, line: Line, text: str) -> bool:
        """Add a row to the open table; False when the line ends the table."""
        table = self.table
        if table.layout == "markdown":
            if SEPARATOR.match(text):
                return True
            if "|" not in text:
                self.close_table()
                return False
            cells = text.split("|")
            label, marks = cells[0].strip(), [c.strip().upper() for c in cells[1:]]
            marked = [i for i, c in enumerate(marks) if c == "X"]
            if len(marked) > 1:
                raise self.error(line, f"row {label!r} has {len(marked)} marks")
            column = marked[0] if marked else None
        else:
            match = PLAIN_ROW.match(line.text.rstrip())
            if match is None:
                if self.s.find("indicator", text) is None:
                    self.close_table()
                    return False
                label, column = text, None
            else:
                label, column = match["label"].strip(), len(match["gap"])
        indicator = self.s.find("indicator", label)
        if indicator is None or indicator.area != table.area.key:
            known = ", ".join(i.label for i in self.s.indicators_of(table.area.key))
            raise self.error(line, f"unknown indicator label {label!r} in the table of "
                                   f"'{table.area.label}'; expected one of: {known}")
        if any(r.indicator == indicator.key for r in table.rows):
            raise self.error(line, f"indicator {label!r} appears twice in one table")
        if column is not None and column >= len(table.columns):
            raise self.error(line, f"row {label!r} marks column {column + 1} but the table has "
                                   f"{len(table.columns)} columns")
        level = table.columns[column] if table.reliable and column is not None else None
        table.rows.append(TableRow(indicator.key, label, line.number, column, level))
        return True

    def close_table(self) -> None:
        table, self.table = self.table, None
        if table is None:
            return
        missing = [i.label for i in self.s.indicators_of(table.area.key)
                   if not any(r.indicator == i.key for r in table.rows)]
        if missing:
            raise SourceError(self.source, table.line, f"the table of '{table.area.label}' lacks rows "
                                                       f"for: " + ", ".join(missing))
        self.tables.append(table.build())
