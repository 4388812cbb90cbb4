"""Layout variants of the seed profile, made by transforming the real text the way the
rating codebook describes them (not by running the parser)."""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "data" / "sources" / "bik-policy-monitor-belgium-2024.txt"
START = "Here, we take an in-depth look at the latest monitoring information for"
END = "Please note, the data used in this page"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def seed_lines() -> list[str]:
    return seed_text().split("\n")


def first_copy() -> str:
    """The page once: from the first start line to the first closing line, inclusive."""
    lines = seed_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith(START))
    end = next(i for i, line in enumerate(lines) if line.startswith(END))
    return "\n".join(lines[start:end + 1]) + "\n"


def bullets_in_source() -> list[tuple[int, str]]:
    """(line number, text) of every narrative bullet of the first copy, read off the raw file."""
    lines = seed_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith(START))
    end = next(i for i, line in enumerate(lines) if line.startswith(END))
    return [(i + 1, lines[i][2:]) for i in range(start, end) if lines[i].startswith("- ")]


def with_chrome(text: str) -> str:
    before = "Skip to main content\nLog in\nWe use cookies to improve your experience. Accept all | Reject\nHome > Policy monitor > Belgium\n\n"
    after = "\n- < Previous country profile\n- Next country profile >\nCookie settings\n"
    return before + text + after


def as_country(text: str, country: str, year: int) -> str:
    text = text.replace("Belgium", country)
    text = re.sub(r"BIK\+ index \d{4}:", f"BIK+ index {year}:", text)
    return re.sub(r"collected in (\w+) \d{4}\.", rf"collected in \1 {year}.", text)


def layout_2025(text: str) -> str:
    """The 2025 layout: 'Not present' columns, 'Influence of', a summary paragraph."""
    text = text.replace("High | Medium | Low | Other | |", "High | Medium | Low | Not present | |")
    text = text.replace("Influence on the BIK+ strategy", "Influence of the BIK+ strategy")
    text = text.replace("monitoring information for Belgium.\n",
                        "monitoring information for Belgium.\nBelgium shows strong policy frameworks and "
                        "a mixed picture of actions across its Communities.\n")
    return as_country(text, "Belgium", 2025)


PLAIN_CAPTIONS = {"High": "Topic summary - policy", "In place": "Topic summary - actions"}


def plain_tables(text: str, column_of: dict[str, int]) -> str:
    """Re-render every markdown-like table as plain text with the X in the given column.

    Header ` HighMediumLowOther` (leading space), one space per empty cell before the X.
    """
    out, table_no = [], 0
    for line in text.split("\n"):
        if line.startswith(START):
            table_no = 0  # each copy of the page numbers its tables from 1
        if re.match(r"^(High|In place) \|", line):
            table_no += 1
            columns = [c.strip() for c in line.split("|") if c.strip()]
            out.append(f"Table {table_no}: {PLAIN_CAPTIONS[columns[0]]}")
            out.append(" " + "".join(columns))
        elif re.match(r"^---\|", line):
            continue
        elif " | X" in line:
            label = line.split(" | ")[0]
            out.append(label + " " * column_of.get(label, 0) + "X")
        else:
            out.append(line)
    return "\n".join(out)
