"""Realistic input files built by the tests themselves: news pages, PDFs and feeds."""

from __future__ import annotations

from collections.abc import Sequence

STORY_PARAGRAPHS = [
    "The storm arrived shortly after midnight and flooded the harbour district, officials "
    "said on Thursday morning after surveying the damage from a coastguard boat.",
    "Hundreds of residents were moved to shelters as the water rose above the old sea wall, "
    "the mayor told reporters, adding that no deaths had been reported so far.",
    "Engineers warned that the wall, built in 1952, would need to be replaced within five "
    "years, at a cost the council estimates at 40 million euros.",
]


def news_page(
    title: str = "Storm floods harbour district",
    paragraphs: Sequence[str] = STORY_PARAGRAPHS,
    author: str = "Ann Writer",
    published: str = "2024-05-02T08:00:00Z",
    site: str = "The Coastal Gazette",
) -> str:
    """A news page as sites publish them: menus, share buttons, related links, a footer,
    metadata in <meta> tags and in JSON-LD."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{site}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}">
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "{title}",
 "datePublished": "{published}", "author": {{"@type": "Person", "name": "{author}"}},
 "publisher": {{"@type": "Organization", "name": "{site}"}}}}
</script>
<script>window.dataLayer = [{{"page": "article"}}];</script>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now</a></li></ul></nav>
</header>
<main><article>
<h1>{title}</h1>
<div class="byline">By {author}</div>
<div class="share"><a href="#">Share on social media</a> <a href="#">Email</a></div>
{body}
</article>
<aside><h3>Most read</h3><ul><li><a href="/a">Celebrity buys island</a></li>
<li><a href="/b">Ten recipes for summer</a></li></ul></aside>
</main>
<footer><p>Copyright 2024 {site}. All rights reserved.</p>
<p><a href="/cookies">Cookie policy</a> <a href="/privacy">Privacy</a></p></footer>
</body></html>"""


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(
    pages: Sequence[Sequence[str]],
    title: str = "",
    author: str = "",
    created: str = "",
) -> bytes:
    """A minimal, valid PDF written by hand: one text line per entry, Helvetica; a page
    with no lines gets only a drawn line (no text layer), like a scan."""
    objects: list[bytes] = []

    def add(obj: str | bytes) -> int:
        objects.append(obj.encode("latin-1") if isinstance(obj, str) else obj)
        return len(objects)

    catalog = add("")  # filled in below, once the page tree's number is known
    font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids: list[int] = []
    pages_id = len(objects) + 1 + 2 * len(pages)
    for lines in pages:
        if lines:
            ops = ["BT", "/F1 12 Tf", "72 720 Td", "16 TL"]
            ops += [f"{_pdf_string(line)} Tj T*" for line in lines]
            ops.append("ET")
        else:
            ops = ["0.5 w", "72 72 m 500 700 l S"]
        stream = "\n".join(ops).encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"
            )
        )
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    assert add(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>") == pages_id
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    info_fields = {"Title": title, "Author": author, "CreationDate": created}
    info = " ".join(f"/{k} {_pdf_string(v)}" for k, v in info_fields.items() if v)
    info_id = add(f"<< {info} >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info_id,
        xref,
    )
    return bytes(out)


def rss_feed(items: Sequence[dict[str, str]], title: str = "Gazette World News") -> str:
    """RSS 2.0; an item's keys: guid, link, title, date (RFC 822), description (HTML)."""
    entries = []
    for item in items:
        parts = [f"<{tag}>{item[key]}</{tag}>" for key, tag in (
            ("title", "title"), ("link", "link"), ("guid", "guid"), ("date", "pubDate"),
        ) if key in item]  # fmt: skip
        if "description" in item:
            parts.append(f"<description><![CDATA[{item['description']}]]></description>")
        entries.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://gazette.example/</link>"
        "<description>World news</description>" + "\n".join(entries) + "</channel></rss>"
    )


def atom_feed(entries: Sequence[dict[str, str]], title: str = "Wire Service") -> str:
    """Atom 1.0; an entry's keys: id, link, title, updated (ISO), content (HTML)."""
    rendered = []
    for e in entries:
        rendered.append(
            f"<entry><id>{e['id']}</id><title>{e['title']}</title>"
            f'<link href="{e["link"]}"/><updated>{e["updated"]}</updated>'
            f"<author><name>{e.get('author', 'Desk')}</name></author>"
            f'<content type="html"><![CDATA[{e["content"]}]]></content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>'
        "<id>urn:wire</id><updated>2024-05-03T00:00:00Z</updated>" + "".join(rendered) + "</feed>"
    )
