"""``bttt report``: rebuild every table and figure of a tournament from its database
(:func:`tournament.report.build_report`, :func:`tournament.report.write_report`)."""

from __future__ import annotations

import argparse

INTERRUPTED = "nothing was lost (the report is rebuilt from the database)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tournament.defaults import DEFAULT_DB, DEFAULT_REPORT

    p.add_argument(
        "--db",
        help=f"tournament database (default {DEFAULT_DB}; with --train-run and no such file, only the training page)",
    )
    p.add_argument(
        "--train-run",
        metavar="DIR",
        help="also put this training run (a 'bttt train' --out folder) on a page: training.html with its curves",
    )
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
    p.add_argument("--json", action="store_true", help="print the report's figures as one JSON document instead")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tournament.defaults import DEFAULT_DB
    from tournament.report import build_report, check_report_dir, register_report_files, write_report, written_files

    out = check_report_dir(args.out)
    db = args.db or DEFAULT_DB
    if args.train_run is not None:
        from tournament.training_page import check_run, write_training_page

        check_run(args.train_run)
        if args.db is None and not Path(db).exists():  # only the training run
            out.mkdir(parents=True, exist_ok=True)
            files = write_training_page(args.train_run, out, link_report=False)
            register_report_files(out, files)
            if args.json:
                from bttt.jsonout import emit

                emit({"format": "bttt-training-page", "version": 1, "out": str(out), "files": files})
            else:
                print(f"Training run written to {out / files[0]} (curves in {out / files[2]}).")
            return 0
    report = build_report(db, train=args.train)
    if not args.quiet and not args.json:
        print(report.summary())
    also = {}
    if args.train_run is not None:
        also["training"] = write_training_page(args.train_run, out)
    page = write_report(report, out, figures=not args.no_figures, also=also)
    if args.json:
        from bttt.jsonout import emit
        from tournament.report_json import report_document

        emit(report_document(report, out, written_files(out)))
        return 0
    print(f"\nReport written to {page} and index.html (CSV files and figures beside them).")
    return 0
