"""What the pages of a list say about its end: whether the service may have cut it short.

Nova, Cinder, Neutron and Glance page a list at their limit (``[api]/max_limit``, ``osapi_max_limit``,
``pagination_max_limit``, ``api_limit_max``: 1,000 by default) and add a next link to every *full* page, so a
list read to its end finishes on a page with fewer items, or on an empty one. A list that finishes on a full
page without a next link was cut by whatever served it (a service or proxy that drops the links, an API
without pagination behind a cap): the client stops there and the table is silently shorter. The body shapes
are the APIs' own: ``{"servers": [...], "servers_links": [{"rel": "next", "href": ...}]}`` (Nova, Cinder,
Neutron), ``{"images": [...], "next": "/v2/images?marker=..."}`` (Glance).
"""

from __future__ import annotations

import dataclasses
from typing import Any

SERVICE_PAGE_LIMIT = 1000  # the default page limit of Nova, Cinder and Glance


@dataclasses.dataclass(frozen=True)
class Page:
    items: int
    next_link: bool


def page_of(body: Any, header_next: bool = False) -> Page | None:
    """The page a list response holds (its item count, whether it links to a next page, in the body or in
    an RFC 5988 ``Link: <…>; rel="next"`` header); None for a response that is not a list page (a single
    resource, an error). The links are read where openstacksdk looks for them."""
    if not isinstance(body, dict):
        return None
    lists = [k for k, value in body.items() if isinstance(value, list) and not (k.endswith("_links") or k == "links")]
    if len(lists) != 1:
        return None
    key = lists[0]
    links = body.get(f"{key}_links") or body.get("links") or []
    if isinstance(links, dict):  # Keystone's {"next": url, "self": url, "previous": url}
        linked = bool(links.get("next"))
    else:
        linked = isinstance(links, list) and any(isinstance(li, dict) and li.get("rel") == "next" for li in links)
    return Page(len(body[key]), linked or bool(body.get("next")) or header_next)


def cut_short(part: str, pages: list[Page]) -> str:
    """Why ``part`` may be incomplete, from the pages it was read in; "" when it ended as a list ends."""
    if not pages:
        return ""
    last, largest = pages[-1], max(page.items for page in pages)
    if last.next_link or last.items == 0 or last.items < largest:
        return ""
    if len(pages) == 1 and last.items != SERVICE_PAGE_LIMIT:
        return ""  # one page, under any service's limit: a list that small is not paged at all
    return (
        f"{part}: may be cut short: its last page (page {len(pages)}) is full ({last.items} items) and links to "
        "no next page, which a service sends only at the end of a list; the report uses the "
        f"{sum(page.items for page in pages)} read: check the service's page limit and pagination, and collect again"
    )
