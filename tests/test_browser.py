"""The browser fixture itself: chromium starts, renders a page and reports console errors."""

from __future__ import annotations


def test_chromium_renders_a_page_and_reports_its_console(browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_content("<html><body><h1 id=t>listdigest</h1>"
                     "<script>console.error('boom')</script></body></html>")
    assert page.inner_text("#t") == "listdigest"
    assert errors == ["boom"]
    page.close()
