"""The tag scanner: exact offsets, and attribute edits that change nothing else."""

from __future__ import annotations

import pytest
from lxml import etree

from assistant.documents import markup


def tags(text: str, xml: bool = False) -> list[tuple[str, int]]:
    return [(t.name, t.start) for t in markup.iter_tags(text, xml=xml) if not t.closing]


def test_skips_comments_cdata_doctype_and_raw_text() -> None:
    text = (
        '<!DOCTYPE html><!-- <img src=a> --><script>if (a<b) x="<img src=b>"</script>'
        "<style>p>i{}</style><textarea><img></textarea><img src=c><![CDATA[<img src=d>]]><?pi <img>?>"
    )
    found = [t for t in markup.iter_tags(text) if t.name == "img"]
    assert [t.get("src") for t in found] == ["c"]


def test_attribute_values_and_offsets() -> None:
    text = """<IMG Src="a &amp; b.png" alt='it&#39;s' width=30 hidden data-x = "y>z">"""
    (tag,) = list(markup.iter_tags(text))
    assert tag.name == "img" and tag.end == len(text)
    assert tag.get("src") == "a & b.png"
    assert tag.get("alt") == "it's"
    assert tag.get("width") == "30"
    assert tag.has("hidden") and tag.get("hidden") is None
    assert tag.get("data-x") == "y>z"
    width = tag.attributes["width"]
    assert text[width.value_start : width.value_end] == "30"


def test_xml_mode_keeps_case_and_prefixes() -> None:
    text = '<w:p><wp:docPr id="1" name="Picture 1"/></w:p>'
    assert tags(text, xml=True) == [("w:p", 0), ("wp:docPr", 5)]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ('<img src="a.png">', '<img src="a.png" alt="A &quot;b&quot; &amp; &lt;c&gt;">'),
        ('<img src="a.png"/>', '<img src="a.png" alt="A &quot;b&quot; &amp; &lt;c&gt;"/>'),
        ("<img alt='old' src=a>", "<img alt='A &quot;b&quot; &amp; &lt;c&gt;' src=a>"),
        ('<img alt="" src=a>', '<img alt="A &quot;b&quot; &amp; &lt;c&gt;" src=a>'),
        ("<img alt=old src=a>", '<img alt="A &quot;b&quot; &amp; &lt;c&gt;" src=a>'),
        ("<img alt src=a>", '<img alt="A &quot;b&quot; &amp; &lt;c&gt;" src=a>'),
    ],
)
def test_attribute_edit(tag: str, expected: str) -> None:
    (parsed,) = list(markup.iter_tags(tag))
    assert markup.splice(tag, [markup.attribute_edit(parsed, "alt", 'A "b" & <c>')]) == expected


def test_edited_attribute_reads_back_exactly_in_xml() -> None:
    value = 'Tom\'s "cat" & <dog>\ttab\nline \x01 end'
    text = '<root><img src="a.png"/></root>'
    (_, img) = [t for t in markup.iter_tags(text, xml=True) if not t.closing]
    edited = markup.splice(text, [markup.attribute_edit(img, "alt", value)])
    assert etree.fromstring(edited)[0].get("alt") == value.replace("\x01", " ")
