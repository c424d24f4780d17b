"""Autograding for machine-learning homework.

Three wings: ``core`` grades one submission (its checks, comparisons and results); ``sandbox`` runs the
student's code where it cannot harm the grader or other students; ``staff`` holds the course staff's
tools (a whole class, similarity, templates, zips). ``assignments`` has one folder per assignment.
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
