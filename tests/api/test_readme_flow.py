"""The README's curl flow names endpoints and methods that exist: a renamed route or a
removed method fails here, not in a new user's terminal. (The flow itself was run end
to end against gunicorn, the worker and the X emulator; its calls are each covered by
the behaviour tests in this folder.)"""

import re

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

README = settings.BASE_DIR / "README.md"
CALL = re.compile(r"""(?:-X (?P<method>[A-Z]+) )?"?\$API/(?P<path>[^\s"'?]*)""")


def flow_calls() -> list[tuple[str, str]]:
    text = README.read_text()
    start = text.index("The whole publishing flow with curl")
    block = text[text.index("```sh", start) : text.index("```\n", text.index("```sh", start) + 5)]
    calls = []
    for match in CALL.finditer(block):
        path = re.sub(r"\$\(\(T \+ \d\)\)|\$[PT]\b", "1", match["path"])
        calls.append((match["method"] or "GET", f"/api/v1/{path}"))
    return calls


def test_the_flow_is_found():
    calls = flow_calls()
    assert ("POST", "/api/v1/tasks/1/approve/") in calls
    assert ("PATCH", "/api/v1/tasks/1/") in calls
    assert len(calls) >= 15


@pytest.mark.parametrize(("method", "path"), flow_calls())
def test_each_call_of_the_readme_flow_reaches_a_view_that_takes_its_method(method, path):
    try:
        match = resolve(path)
    except Resolver404:
        pytest.fail(f"README: {method} {path} matches no URL")
    actions = getattr(match.func, "actions", None)
    if actions is not None:
        assert method.lower() in actions, f"README: {path} takes no {method}"
    else:
        assert hasattr(match.func.view_class, method.lower()), f"README: {path} takes no {method}"
