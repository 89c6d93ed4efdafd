"""The office's courses: assignments and the enrolments they make, progress reports and their exports."""
