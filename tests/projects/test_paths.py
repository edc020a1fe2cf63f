import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from projects.paths import PathNotAllowed, resolve_inside, resolve_inside_roots


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> dict[str, Path]:
    """root/ (the allowed folder) with links that stay in and links that escape.

    root/a/b/file, root/in -> a, root/out -> ../outside, root/a/up -> ../..,
    root/loop -> loop, and a sibling root-evil/ whose name starts like root's."""
    base = tmp_path_factory.mktemp("paths").resolve()
    root, outside, evil = base / "root", base / "outside", base / "root-evil"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "file").write_text("x")
    outside.mkdir()
    (outside / "secret").write_text("x")
    evil.mkdir()
    (root / "in").symlink_to("a")
    (root / "out").symlink_to("../outside")
    (root / "a" / "up").symlink_to("../..")
    (root / "loop").symlink_to("loop")
    return {"base": base, "root": root, "outside": outside, "evil": evil}


SEGMENTS = st.sampled_from(["..", ".", "", "a", "b", "file", "in", "out", "up", "loop", "x"])
RELATIVE = st.lists(SEGMENTS, min_size=1, max_size=8).map("/".join)


@hypothesis_settings(max_examples=300, deadline=None)
@given(relative=RELATIVE, absolute=st.booleans())
def test_resolve_inside_never_returns_a_path_outside_the_base(tree, relative, absolute):
    root = tree["root"]
    candidate = ("/" + relative) if absolute else relative
    try:
        result = resolve_inside(root, candidate)
    except PathNotAllowed:
        escapes = not Path(os.path.realpath(os.path.join(root, candidate))).is_relative_to(root)
        assert escapes or candidate == ""
    else:
        assert result.is_relative_to(root)
        assert result == Path(os.path.realpath(os.path.join(root, candidate)))


@hypothesis_settings(max_examples=300, deadline=None)
@given(relative=RELATIVE)
def test_resolve_inside_roots_accepts_exactly_the_real_paths_inside_a_root(tree, relative):
    candidate = f"{tree['root']}/{relative}"
    real = Path(os.path.realpath(candidate))
    inside = real.is_relative_to(tree["root"])
    if inside:
        assert resolve_inside_roots(candidate, [tree["root"]]) == real
    else:
        with pytest.raises(PathNotAllowed):
            resolve_inside_roots(candidate, [tree["root"]])


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_any_text_is_either_confined_or_refused_with_path_not_allowed(tree, text):
    for call in (
        lambda: resolve_inside(tree["root"], text),
        lambda: resolve_inside_roots(text, [tree["root"]]),
    ):
        try:
            result = call()
        except PathNotAllowed:
            continue
        assert result.is_relative_to(tree["root"])


@hypothesis_settings(max_examples=100, deadline=None)
@given(before=st.text(), after=st.text())
def test_a_nul_byte_anywhere_is_refused(tree, before, after):
    with pytest.raises(PathNotAllowed, match="NUL byte"):
        resolve_inside(tree["root"], f"{before}\x00{after}")
    with pytest.raises(PathNotAllowed, match="NUL byte"):
        resolve_inside_roots(f"/{before}\x00{after}", [tree["root"]])


def test_a_symlink_that_escapes_is_refused_even_though_its_name_is_inside(tree):
    with pytest.raises(PathNotAllowed, match="leads outside"):
        resolve_inside(tree["root"], "out/secret")
    with pytest.raises(PathNotAllowed, match="outside the allowed content roots"):
        resolve_inside_roots(tree["root"] / "out", [tree["root"]])


def test_a_symlink_that_stays_inside_resolves_to_its_target(tree):
    assert resolve_inside(tree["root"], "in/b/file") == tree["root"] / "a" / "b" / "file"


def test_a_sibling_folder_sharing_the_roots_name_prefix_is_outside(tree):
    with pytest.raises(PathNotAllowed):
        resolve_inside_roots(tree["evil"], [tree["root"]])
    with pytest.raises(PathNotAllowed):
        resolve_inside(tree["root"], "../root-evil")


def test_the_root_itself_is_allowed(tree):
    assert resolve_inside_roots(str(tree["root"]), [tree["root"]]) == tree["root"]
    assert resolve_inside(tree["root"], ".") == tree["root"]


def test_the_refusal_names_the_path_and_the_allowed_roots(tree):
    with pytest.raises(PathNotAllowed) as caught:
        resolve_inside_roots("/etc", [tree["root"], tree["evil"]])
    message = str(caught.value)
    assert "/etc" in message
    assert str(tree["root"]) in message
    assert str(tree["evil"]) in message


def test_the_refusal_of_a_link_shows_where_it_really_leads(tree):
    with pytest.raises(PathNotAllowed, match=f"real path {tree['outside']}"):
        resolve_inside_roots(tree["root"] / "out", [tree["root"]])


def test_any_of_several_roots_may_hold_the_path(tree):
    assert resolve_inside_roots(tree["evil"], [tree["root"], tree["evil"]]) == tree["evil"]


def test_an_empty_path_is_refused(tree):
    with pytest.raises(PathNotAllowed, match="empty"):
        resolve_inside_roots("", [tree["root"]])
    with pytest.raises(PathNotAllowed, match="empty"):
        resolve_inside(tree["root"], "")


def test_a_relative_path_is_refused_rather_than_read_from_the_working_directory(tree):
    with pytest.raises(PathNotAllowed, match="must be absolute"):
        resolve_inside_roots("root/a", [tree["root"]])


def test_no_configured_roots_allows_nothing_and_says_so(tree):
    with pytest.raises(PathNotAllowed, match="no content roots"):
        resolve_inside_roots(tree["root"], [])


def test_roots_given_through_a_symlink_are_compared_by_their_real_path(tree):
    link = tree["base"] / "root-link"
    link.symlink_to(tree["root"])
    assert resolve_inside_roots(tree["root"] / "a", [link]) == tree["root"] / "a"
