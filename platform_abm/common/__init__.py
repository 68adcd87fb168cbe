"""What both model families use: data, learners, validation, errors, results and recording."""
