"""Command line: ``python -m grader {run,check,grade-all,list,report,tables,templates,build,bundle,data,baselines,new,doctor} ...``."""
import argparse
import json
import sys
import traceback
from pathlib import Path

from tabulate import tabulate

from grader.core import assignments
from grader.sandbox.portable import sandbox_for
from grader.sandbox.client import grader_memory_ceiling


def _grade(assignment, submission, **kwargs):
    # The sandbox starts first: its zygote imports torch on one core while this process imports
    # torch and the checks on the other, so a run pays for roughly one cold import, not two.
    with sandbox_for(assignment) as sandbox:
        from grader.core.results import grade

        # A ceiling of its own: past it the run reports the autograder's failure rather than being killed.
        with grader_memory_ceiling():
            return grade(assignment, submission, sandbox=sandbox, **kwargs)


def cmd_run(args):
    assignment = None
    try:
        assignment = assignments.get(args.assignment)
        results = _grade(assignment, args.submission, seed=args.seed)
    except Exception:
        error = traceback.format_exc()
        print(error, file=sys.stderr)
        from grader.core.results import failed_results

        results = failed_results(assignment, error)
    from grader.core.reports import score_table
    from grader.core.results import write_results

    write_results(results, args.output)
    print(score_table([(Path(args.submission).name or str(args.submission), results)]))
    print(f"seed {results.get('extra_data', {}).get('seed')}; results written to {args.output}")
    return 0


def cmd_check(args):
    assignment = assignments.get(args.assignment)
    results = _grade(assignment, args.submission, public_only=True)
    from grader.core.reports import self_check_report
    from grader.core.results import BY_HAND_TAG

    print(f"{assignment.title}: self-check of {args.submission} (public checks only)\n")
    print(self_check_report(results))
    # a check left to the staff is no mistake; one the grader failed to judge is not a pass either
    return 0 if all(t["status"] == "passed" or BY_HAND_TAG in t.get("tags", ()) for t in results["tests"]) else 1


def cmd_list(args):
    rows = []
    for assignment in assignments.all_assignments().values():
        questions = {}
        for info, _ in assignment.checks:
            q = questions.setdefault(info.question, [0, 0.0, 0.0, 0.0])
            q[0] += 1
            q[1 if info.public else 2] += info.points
            q[3] += info.penalty
        for question, (count, public, hidden, penalty) in questions.items():
            rows.append([assignment.id, question, count, f"{public:g}", f"{hidden:g}",
                         f"-{penalty:g}" if penalty else "", ", ".join(assignment.files)])
    print(tabulate(rows, headers=["assignment", "question", "checks", "public points", "hidden points",
                                  "rule penalties", "submitted files"], tablefmt="simple"))
    return 0


def cmd_report(args):
    from grader.core.reports import score_table

    named = []
    for path in args.results:
        try:
            named.append((Path(path).stem, json.loads(Path(path).read_text())))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"{path}: cannot read results ({exc})", file=sys.stderr)
            return 2
    print(score_table(named))
    return 0


def cmd_templates(args):
    from grader.staff.templates import write_templates
    changed = write_templates(check_only=args.check)
    for path in changed:
        print(("out of date: " if args.check else "wrote ") + str(path))
    return 1 if (args.check and changed) else 0


TABLE_FORMATS = {"plain": "simple", "markdown": "github", "latex": "latex_booktabs"}


def cmd_tables(args):
    assignment = assignments.get(args.assignment)
    module = assignment.extension("tables")
    if module is None:
        print(f"{assignment.id} has no reference tables", file=sys.stderr)
        return 2
    formats = list(TABLE_FORMATS) if args.format == "all" else [args.format]
    for title, headers, rows in module.tables(assignment):
        for name in formats:
            print(f"{title} ({name})\n")
            print(tabulate(rows, headers=headers, tablefmt=TABLE_FORMATS[name], floatfmt=".4f"))
            print()
    return 0


def _selected(names):
    known = assignments.all_assignments()
    return list(known.values()) if names == ["all"] else [assignments.get(name) for name in names]


def cmd_build(args):
    from grader.staff.packaging import build_autograder

    for assignment in _selected(args.assignments):
        print(f"wrote {build_autograder(assignment, args.output)}")
    return 0


def cmd_bundle(args):
    from grader.staff.packaging import build_bundle

    for assignment in _selected(args.assignments):
        print(f"wrote {build_bundle(assignment, args.output)}")
    return 0


def cmd_grade_all(args):
    from grader.staff.batch import grade_all, write_reports, collect

    assignment = assignments.get(args.assignment)
    try:
        graded, skipped, submissions = grade_all(assignment, args.submissions, args.output, jobs=args.jobs,
                                                 force=args.force, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        done = len(list(Path(args.output).glob("*/results.json")))
        print(f"\ninterrupted: {done} submissions have results; run the same command again to grade the rest",
              file=sys.stderr)
        return 130
    print(f"graded {graded}, skipped {skipped} already graded (--force regrades them)")
    print(write_reports(assignment, args.output, collect(args.output, submissions)))
    from grader.staff.similarity import report

    pairs = report(assignment, submissions, Path(args.output) / "similarity.txt")
    print(f"\nsimilarity: {len(pairs)} pairs share 30% or more of their code (see similarity.txt)")
    print(f"written to {args.output}: one folder per student with results.json, grades.csv, summary.txt, "
          "histogram.png, similarity.txt")
    return 0


def cmd_data(args):
    for assignment in _selected(args.assignments):
        builder = assignment.data_builder()
        if builder is None:
            print(f"{assignment.id}: no data to build")
            continue
        print(f"{assignment.id}: {builder.build(assignment.data_dir)}")
    return 0


def cmd_baselines(args):
    for assignment in _selected(args.assignments):
        module = assignment.extension("baselines")
        if module is None:
            print(f"{assignment.id}: no baselines to measure")
            continue
        print(f"{assignment.id}: {module.build(assignment)}")
    return 0


def cmd_new(args):
    from grader.staff.scaffold import ScaffoldError, next_steps, write_skeleton
    from grader.staff.templates import write_templates

    try:
        written = write_skeleton(args.assignment, args.files, title=args.title)
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assignment = assignments.get(args.assignment)
    written += write_templates(only=[assignment.id])
    from grader import REPO_ROOT

    print(f"{assignment.id} (folder {assignment.folder}): wrote")
    for path in written:
        print(f"  {path.relative_to(REPO_ROOT)}")
    print(f"\nNext:\n{next_steps(assignment.id, assignment.files)}")
    return 0


def cmd_doctor(args):
    """Which isolation layers a sandbox gets on this machine, and what each missing one leaves open."""
    import os

    from grader.sandbox import containment
    from grader.sandbox.portable import zygote_supported
    from grader.sandbox.client import Sandbox

    if not zygote_supported():
        print("This system lacks fork, resource or prctl (or GRADER_SANDBOX=portable): each check runs in a "
              "freshly started process with a timeout, and none of the layers below is in force. The code "
              "can read whatever this user can (see the README's table of systems).")
        return 0
    try:
        containment.requested_layers()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with Sandbox("grader.sandbox.torch_probes", protected=()) as sandbox:
        layers = sandbox.active_layers()
        user = sandbox.user
    rows = [[name, "yes" if active else "no", leaves] for name, active, leaves in
            containment.describe(layers, as_root=user is not None)]
    print(tabulate(rows, headers=["layer", "active", "what its absence leaves open"], tablefmt="simple"))
    print()
    if user is not None:
        print(f"Workers run as a leased uid (this sandbox had {user[0]}), one per sandbox machine-wide.")
    elif "user" in layers:
        print("Workers run as you, in a user namespace of their own: they see only their view, not your files.")
    requested = os.environ.get("GRADER_SANDBOX_LAYERS")
    if requested:
        print(f"GRADER_SANDBOX_LAYERS={requested} narrowed the layers.")
    missing = {"mount", "network", "seccomp"} - layers
    print("Every layer is in force." if not missing and user is not None else
          "Fallbacks are in force where a layer is missing (see the README's sandbox table).")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Autograder for ML homework.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="grade a submission folder into Gradescope's results.json")
    run.add_argument("assignment")
    run.add_argument("submission")
    run.add_argument("-o", "--output", default="results.json")
    run.add_argument("--seed", type=int, help="reuse the seed of an earlier run (its extra_data.seed) to regrade")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="student self-check: public checks only, as a table")
    check.add_argument("assignment")
    check.add_argument("submission", nargs="?", default=".")
    check.set_defaults(func=cmd_check)

    sub.add_parser("list", help="assignments, questions and points").set_defaults(func=cmd_list)

    report = sub.add_parser("report", help="score table of results.json files")
    report.add_argument("results", nargs="+")
    report.set_defaults(func=cmd_report)

    templates = sub.add_parser("templates", help="generate student templates from the reference")
    templates.add_argument("--check", action="store_true", help="only report templates that are out of date")
    templates.set_defaults(func=cmd_templates)

    build = sub.add_parser("build", help="write ASSIGNMENT-autograder.zip for Gradescope")
    build.add_argument("assignments", nargs="+", help="assignment ids, or: all")
    build.add_argument("-o", "--output", default="dist")
    build.set_defaults(func=cmd_build)

    bundle = sub.add_parser("bundle", help="write ASSIGNMENT-student.zip (templates and the self-check)")
    bundle.add_argument("assignments", nargs="+", help="assignment ids, or: all")
    bundle.add_argument("-o", "--output", default="dist")
    bundle.set_defaults(func=cmd_bundle)

    batch = sub.add_parser("grade-all", help="grade a whole class (Gradescope export or a folder of folders)")
    batch.add_argument("assignment")
    batch.add_argument("submissions")
    batch.add_argument("-o", "--output", required=True)
    batch.add_argument("--jobs", type=int, help="submissions graded at once (default: one per CPU that the container or machine "
                       "allows, as many as its memory holds)")
    batch.add_argument("--force", action="store_true", help="regrade submissions that already have results")
    batch.add_argument("--seed", type=int, help="one seed for every submission (default: a fresh one each)")
    batch.set_defaults(func=cmd_grade_all)

    tables = sub.add_parser("tables", help="print the reference's tables of an assignment to four decimals")
    tables.add_argument("assignment")
    tables.add_argument("--format", choices=[*TABLE_FORMATS, "all"], default="all")
    tables.set_defaults(func=cmd_tables)
    data = sub.add_parser("data", help="build the data sets an assignment needs into data/<id>/")
    data.add_argument("assignments", nargs="+", help="assignment ids, or: all")
    data.set_defaults(func=cmd_data)
    baselines = sub.add_parser("baselines", help="measure an assignment's scoring baselines (training its reference "
                               "model if it has one) and write them to its config.toml")
    baselines.add_argument("assignments", nargs="+", help="assignment ids, or: all")
    baselines.set_defaults(func=cmd_baselines)

    new = sub.add_parser("new", help="write the skeleton of a new assignment (checks, config, reference, corpus)")
    new.add_argument("assignment", help="its id, like ml101-hw1 (its folders are named ml101_hw1)")
    new.add_argument("--files", nargs="+", required=True, help="the files students submit (.py, .ipynb, data)")
    new.add_argument("--title", help="the assignment's title (default: its id)")
    new.set_defaults(func=cmd_new)

    doctor = sub.add_parser("doctor", help="which sandbox isolation layers work on this machine, and what is left open")
    doctor.set_defaults(func=cmd_doctor)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except assignments.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
