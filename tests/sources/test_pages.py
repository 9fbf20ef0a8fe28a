"""Whether a list was read to its end, from its pages (body shapes as Nova, Cinder, Neutron and Glance send them)."""

from runbook_lib.sources.pages import Page, cut_short, page_of

NEXT = [{"href": "http://127.0.0.1:8774/v2.1/servers/detail?marker=7f3c", "rel": "next"}]


def test_a_page_is_its_one_list_and_whether_it_links_onwards():
    assert page_of({"servers": [{}, {}], "servers_links": NEXT}) == Page(2, True)
    assert page_of({"servers": [{}]}) == Page(1, False)
    previous_only = [{"href": "http://127.0.0.1:9696/v2.0/ports?marker=a&page_reverse=True", "rel": "previous"}]
    assert page_of({"ports": [{}], "ports_links": previous_only}) == Page(1, False)  # Neutron's last page
    glance = {"images": [{}, {}, {}], "first": "/v2/images", "schema": "/v2/schemas/images"}
    assert page_of(glance) == Page(3, False) and page_of(glance | {"next": "/v2/images?marker=9"}) == Page(3, True)
    keystone = {"links": {"next": None, "self": "http://127.0.0.1:5000/v3/projects", "previous": None}}
    assert page_of({"projects": [{}]} | keystone) == Page(1, False)
    assert page_of({"projects": [{}], "links": {"next": "http://127.0.0.1:5000/v3/projects?marker=p"}}).next_link
    assert page_of({"objects": [{}]}, header_next=True) == Page(1, True)  # a Link: <…>; rel="next" header
    assert page_of({"server": {"id": "x"}}) is None  # one resource, not a page
    assert page_of({"extra_specs": {"hw:cpu_max_sockets": "2"}}) is None
    assert page_of([1, 2]) is None and page_of(None) is None


def test_a_list_read_to_its_end_finishes_on_a_short_or_empty_page():
    full, short = Page(10, True), Page(4, False)
    assert cut_short("openstack/servers", [full, full, short]) == ""
    assert cut_short("openstack/servers", [full, Page(0, False)]) == ""  # an exact multiple: one empty page
    assert cut_short("openstack/flavors", [Page(37, False)]) == ""  # one page under any limit: never paged
    assert cut_short("openstack/servers", []) == ""


def test_a_full_last_page_without_a_next_link_says_the_list_may_be_cut():
    message = cut_short("openstack/servers", [Page(10, True), Page(10, False)])
    assert message == (
        "openstack/servers: may be cut short: its last page (page 2) is full (10 items) and links to no next "
        "page, which a service sends only at the end of a list; the report uses the 20 read: check the "
        "service's page limit and pagination, and collect again"
    )
    assert "(page 1) is full (1000 items)" in cut_short("openstack/hypervisors", [Page(1000, False)])
