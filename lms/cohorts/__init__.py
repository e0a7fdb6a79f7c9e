"""Cohorts: runs of a course with their trainers and learners, live sessions and attendance."""
