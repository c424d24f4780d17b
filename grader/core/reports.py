"""The tables people read in a terminal: a student's self-check, and scores of results files side by side."""
import re

from tabulate import tabulate

from grader.core.results import BY_HAND_TAG, GRADER_ERROR_TAG, GRADER_FAILED, grader_failed


def self_check_report(results) -> str:
    """The student's terminal view: a table of public checks, then what to fix."""
    rows, failures, notes = [], [], {}
    for test in sorted(results["tests"], key=lambda t: [int(p) if p.isdigit() else p
                                                      for p in re.split(r"(\d+)", t["number"])]):
        ok = test["status"] == "passed"
        by_hand = BY_HAND_TAG in test.get("tags", ())
        held = by_hand or GRADER_ERROR_TAG in test.get("tags", ())
        rows.append([test["number"], test["name"], f"{test['score']:g}/{test['max_score']:g}",
                     "passed" if ok else "by hand" if by_hand else "not judged" if held else "FAILED"])
        if not ok and not held:
            failures.append(f"[{test['number']}] {test['name']}\n{test.get('output', '').strip()}")
        if by_hand:  # one reason often covers a question's checks: say it once
            notes.setdefault(test.get("output", "").strip(), []).append(f"[{test['number']}] {test['name']}")
    lines = [tabulate(rows, headers=["check", "what it checks", "points", "result"], tablefmt="simple")]
    if failures:
        lines += ["", "What to fix:", ""] + _indented(failures)
        lines.append(f"{len(failures)} of {len(rows)} public checks failed.")
    if notes:
        lines += ["", "Left to the course staff:", ""]
        for reason, checks in notes.items():
            lines += [*checks, *("    " + line for line in reason.splitlines()), ""]
    held = sum(GRADER_ERROR_TAG in test.get("tags", ()) for test in results["tests"])
    if held:
        lines += ["", f"{held} check(s) could not be judged because the grader itself failed (not your code); "
                      "please tell the course staff."]
    elif not failures and not notes:
        lines += ["", f"All {len(rows)} public checks passed. Hidden checks run on Gradescope after you submit."]
    elif not failures:
        lines += ["", f"The other {len(rows) - sum(map(len, notes.values()))} public checks passed. Hidden checks run on Gradescope "
                      "after you submit."]
    return "\n".join(lines)


def _indented(entries):
    """Each entry's first line as it is, the rest indented under it."""
    return ["\n".join("    " + line if i else line for i, line in enumerate(entry.splitlines())) + "\n"
            for entry in entries]


def question_of(test):
    """The handout's question of a test: its number without the last part ("3.1.1.2" -> "3.1.1")."""
    return test.get("number", "?").rsplit(".", 1)[0]


def score_table(named_results) -> str:
    """One row per results file: score per question and total."""
    questions = sorted({question_of(t) for _, r in named_results for t in r["tests"]})
    rows = []
    for name, results in named_results:
        row = [name]
        for q in questions:
            tests = [t for t in results["tests"] if question_of(t) == q]
            row.append(f"{sum(t['score'] for t in tests):g}/{sum(t['max_score'] for t in tests):g}")
        total = sum(t["max_score"] for t in results["tests"])
        failed = sum(t["status"] != "passed" for t in results["tests"])
        row += [GRADER_FAILED if grader_failed(results) else f"{results['score']:g}/{total:g}", failed]
        rows.append(row)
    return tabulate(rows, headers=["submission", *questions, "total", "checks failed"], tablefmt="simple")
