"""``bttt report``: rebuild every table and figure of a tournament from its database."""

from __future__ import annotations

import argparse

HELP = "rebuild a tournament's tables, CSV files, figures and Markdown page from its database"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default="bttt-tournament.db", help="tournament database (default bttt-tournament.db)")
    p.add_argument("--out", default="bttt-report", help="output directory (default bttt-report/)")
    p.add_argument(
        "--train",
        metavar="CELLS",
        help="training cells for agents that declare none (default: the tournament's --train)",
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures (tables and CSV only)")
    p.add_argument("--quiet", action="store_true", help="do not print the summary tables")


def run(args: argparse.Namespace) -> int:
    from tournament.report import build_report, write_report

    report = build_report(args.db, train=args.train)
    if not args.quiet:
        print(report.summary())
    page = write_report(report, args.out, figures=not args.no_figures)
    print(f"\nReport written to {page} and index.html (CSV files and figures beside them).")
    return 0
