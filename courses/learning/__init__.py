"""The learner's side: the course player, lessons, quizzes and their grading, progress, seminar steps."""
