"""What uploads tell a page: `tilqa.web.Notices`, kept per page until its chat shows them."""

from __future__ import annotations


def test_a_pages_notices_are_kept_until_its_chat_shows_them() -> None:
    from tilqa.web import Notices

    notices = Notices()
    notices.post("page-1", "not added: x.xyz", "not added: x.xyz")
    notices.post("page-2", "added <b>.md")
    first, second = notices.pending("page-1")
    assert first != second and "x.xyz" in first  # a repeat is still its own message
    assert notices.pending("page-2") == ['<p data-notice="3"><em>added &lt;b&gt;.md</em></p>']
    shown = [{"role": "assistant", "content": [{"type": "text", "text": first}]}]
    assert notices.pending("page-1", shown) == [second]
    assert notices.pending("page-1", []) == [second]  # the shown one is done with, even if cleared
    notices.forget("page-1")
    assert notices.pending("page-1") == []
