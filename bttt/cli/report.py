"""``bttt report``: rebuild every table and figure of a tournament from its database
(:func:`tournament.report.build_report`, :func:`tournament.report.write_report`)."""

from __future__ import annotations

import argparse

INTERRUPTED = "nothing was lost (the report is rebuilt from the database)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tournament.defaults import DEFAULT_DB, DEFAULT_REPORT

    p.add_argument("--db", default=DEFAULT_DB, help=f"tournament database (default {DEFAULT_DB})")
    p.add_argument("--out", default=DEFAULT_REPORT, help=f"report folder (default {DEFAULT_REPORT}/)")
    p.add_argument(
        "--train-bricks",
        dest="train",
        metavar="BRICKS",
        help="training bricks of agents that declare none (default: the tournament's --train-bricks)",
    )
    p.add_argument("--train", dest="train", help=argparse.SUPPRESS)  # the flag's name before bttt 0.2
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures (tables and CSV only)")
    p.add_argument("--quiet", action="store_true", help="do not print the summary tables")


def run(args: argparse.Namespace) -> int:
    from tournament.report import build_report, check_report_dir, write_report

    check_report_dir(args.out)
    report = build_report(args.db, train=args.train)
    if not args.quiet:
        print(report.summary())
    page = write_report(report, args.out, figures=not args.no_figures)
    print(f"\nReport written to {page} and index.html (CSV files and figures beside them).")
    return 0
