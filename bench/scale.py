"""Synthetic workspaces for benchmarks only: N countries x E editions shaped like the real profile.

Every synthetic profile is the real Belgium 2024 text with the country and year changed, so the
parser, codebook, mapping and shapes do the same work per profile as on the real data. The
workspace is a separate project folder (its own data/, a copy of ontology/ and shapes/): nothing
generated here can reach data/sources or a real release.

    python -m bench.scale --countries 30 --editions 10 --out /tmp/bik-M
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "data" / "sources" / "bik-policy-monitor-belgium-2024.txt"
# ISO 3166 user-assigned codes: never a real country, so a synthetic one cannot pass for one.
USER_ASSIGNED = ["AA", "ZZ"] + [f"Q{c}" for c in "MNOPQRSTUVWXYZ"] + [f"X{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
# (countries, editions). A profile maps to about 1,370 triples, so M is about 411k triples and
# L (every country the generator can name, 20 editions each) about 1.95 million.
SIZES = {"S": (1, 1), "M": (30, 10), "L": (71, 20)}


def countries(n: int) -> list[tuple[str, str]]:
    """(name, code): the reference table's real countries first, then synthetic ones."""
    with (PROJECT / "data" / "reference" / "countries.csv").open(encoding="utf-8") as handle:
        real = [(row["name"], row["code"]) for row in csv.DictReader(handle)]
    synthetic = [(f"Synthland {code}", code) for code in USER_ASSIGNED]
    pool = real + synthetic
    if n > len(pool):
        raise ValueError(f"at most {len(pool)} countries can be generated")
    return pool[:n]


def as_profile(seed: str, country: str, year: int) -> str:
    text = seed.replace("Belgium", country)
    text = re.sub(r"BIK\+ index \d{4}:", f"BIK+ index {year}:", text)
    return re.sub(r"collected in (\w+) \d{4}\.", rf"collected in \1 {year}.", text)


def generate(out: Path, n_countries: int, n_editions: int) -> Path:
    """Write a workspace with n_countries x n_editions profiles; return its project folder."""
    if out.exists():
        shutil.rmtree(out)
    (out / "data" / "sources").mkdir(parents=True)
    shutil.copytree(PROJECT / "ontology", out / "ontology")
    shutil.copytree(PROJECT / "shapes", out / "shapes")
    shutil.copy(PROJECT / "data" / "codebook.csv", out / "data" / "codebook.csv")
    shutil.copytree(PROJECT / "data" / "reference", out / "data" / "reference")
    chosen = countries(n_countries)
    with (out / "data" / "reference" / "countries.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for name, code in chosen:
            if name.startswith("Synthland"):
                writer.writerow([name, code, "", ""])
    seed = SEED.read_text(encoding="utf-8")
    for name, code in chosen:
        for year in range(2024 - n_editions + 1, 2025):
            path = out / "data" / "sources" / f"bik-policy-monitor-{code.lower()}-{year}.txt"
            path.write_text(as_profile(seed, name, year), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), help="S, M or L (or give --countries and --editions)")
    parser.add_argument("--countries", type=int, default=1)
    parser.add_argument("--editions", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    n, e = SIZES[args.size] if args.size else (args.countries, args.editions)
    print(generate(args.out, n, e))


if __name__ == "__main__":
    main()
