"""Hidden tests of the ten TODOs (instructor-only; never part of the student release).

One pytest file per student file. Each test carries its TODO with
``@pytest.mark.todo("TODO-1.1-1")``; its points come from
``autograder/config/grading.yaml`` under the test's name (the function name
without ``test_``). The grader runs these files in its own process with the
fixture ``student`` (a :class:`autograder.grader.student_code.StudentCode`),
through which every call into student code goes to the sandboxed child.
Reference values come from the instructor's ``ner_helpers``, imported here.
"""
