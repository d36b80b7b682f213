"""`nnarith check`: the figures people write, checked against a spec.

    from nnarith.check.run import check_file
    result = check_file("docs/model.md", "model.yaml")
    [(i.line, i.what, i.status) for i in result.items]

Reading (documents, notes, answers) -> rows of figures; align -> the layer each row means;
truth -> the true figures and their arithmetic; judge -> right, wrong or a note; output ->
text, JSON (nnarith.check/1) and JUnit.
"""
