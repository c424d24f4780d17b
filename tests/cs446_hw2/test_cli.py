"""What TAs and students see from the command line for cs446-hw2."""
import json
import shutil

from conftest import CORPUS, REPO, run_cli, validate_results


def test_self_check_on_a_correct_solution_says_public_checks_passed():
    completed = run_cli("check", "cs446-hw2", CORPUS / "cs446_hw2" / "correct_sequential")
    assert completed.returncode == 0
    assert "public checks passed" in completed.stdout
    assert "all passed" not in completed.stdout.lower()
    assert "3a.1" in completed.stdout and "3a.6" not in completed.stdout  # hidden checks are not shown


def test_self_check_on_a_mistake_explains_it_and_fails():
    completed = run_cli("check", "cs446-hw2", CORPUS / "cs446_hw2" / "wrong_block_no_skip")
    assert completed.returncode == 1
    assert "FAILED" in completed.stdout and "What to fix" in completed.stdout
    assert "add the input x to f(x)" in completed.stdout


def test_misnamed_file_gets_a_message_naming_the_expected_file(tmp_path):
    shutil.copy(REPO / "reference" / "cs446_hw2" / "hw2_ResNet.py", tmp_path / "hw2_resnet.py")
    out = tmp_path / "results.json"
    assert run_cli("run", "cs446-hw2", tmp_path, "-o", out).returncode == 0
    results = json.loads(out.read_text())
    validate_results(results)
    assert results["score"] == 0
    assert "no file named 'hw2_ResNet.py'" in results["tests"][0]["output"]
    assert "rename it" in results["tests"][0]["output"]


def test_empty_submission_and_missing_folder_still_write_results(tmp_path):
    for folder in (tmp_path / "empty", tmp_path / "absent"):
        if folder.name == "empty":
            folder.mkdir()
        out = tmp_path / f"{folder.name}.json"
        assert run_cli("run", "cs446-hw2", folder, "-o", out).returncode == 0
        results = json.loads(out.read_text())
        validate_results(results)
        assert results["score"] == 0


def test_list_and_report(tmp_path):
    listed = run_cli("list")
    assert listed.returncode == 0
    assert "cs446-hw2" in listed.stdout and "3a" in listed.stdout and "3b" in listed.stdout
    out = tmp_path / "wrong.json"
    run_cli("run", "cs446-hw2", CORPUS / "cs446_hw2" / "wrong_resnet_avgpool", "-o", out)
    validate_results(json.loads(out.read_text()))
    report = run_cli("report", out)
    assert report.returncode == 0
    row = next(line for line in report.stdout.splitlines() if line.startswith("wrong"))
    assert "7/7" in row and "/6.5" in row and "6.5/6.5" not in row


def test_unknown_assignment_is_a_clear_error():
    completed = run_cli("check", "cs999-hw1", ".")
    assert completed.returncode == 2
    assert "unknown assignment 'cs999-hw1'" in completed.stderr and "cs446-hw2" in completed.stderr


def test_files_wrapped_in_one_folder_are_found(tmp_path):
    nested = tmp_path / "my_hw2" / "code"
    nested.mkdir(parents=True)
    shutil.copy(CORPUS / "cs446_hw2" / "correct_functional" / "hw2_ResNet.py", nested)
    out = tmp_path / "results.json"
    assert run_cli("run", "cs446-hw2", tmp_path, "-o", out).returncode == 0
    results = json.loads(out.read_text())
    validate_results(results)
    assert results["score"] == 13.5
