"""One way to page and search a list that grows: bounded queries, never the whole table.

A page is read with ``LIMIT per_page OFFSET ...`` plus one ``COUNT`` of the same query, so a list
of 30 or 30,000 rows costs the same two statements. The page size is set here, in code
(``PER_PAGE``); a caller may pass its own.
"""

from dataclasses import dataclass
from math import ceil

from portal.extensions import db

PER_PAGE = 50
SEARCH_MAX = 100


@dataclass
class Page:
    """One page of a list: its rows, its number (from 1), the size of a page and the total."""

    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages

    @property
    def first_index(self):
        """The 1-based position of the page's first row (0 on an empty list)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self):
        return self.first_index + len(self.items) - 1 if self.items else 0

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)


def page_number(value):
    """A page number from a query-string value: 1 for anything that is not a positive integer."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


def search_term(value):
    """The cleaned search text from a query-string value ('' for none)."""
    return " ".join((value or "").split())[:SEARCH_MAX]


def matching(term, *columns):
    """A condition: every word of ``term`` occurs (case-insensitively) in one of ``columns``;
    None when there is nothing to search for. LIKE wildcards in the term are taken literally."""
    words = search_term(term).lower().split()
    if not words:
        return None
    return db.and_(*(db.or_(*(db.func.lower(column).contains(word, autoescape=True) for column in columns))
                     for word in words))


def paginate(query, number=1, per_page=PER_PAGE, scalars=True, transform=None):
    """The page ``number`` of ``query`` (a select with its ORDER BY). A number past the end gives
    the last page. ``scalars`` reads the first column as objects, otherwise rows; ``transform``
    turns the page's rows into what the page shows (still one bounded read)."""
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / per_page))
    number = min(max(1, number), pages)
    bounded = query.limit(per_page).offset((number - 1) * per_page)
    rows = (db.session.scalars(bounded) if scalars else db.session.execute(bounded)).all()
    items = transform(rows) if transform is not None else list(rows)
    return Page(items, number, per_page, total)


def page_of(items, number=1, per_page=PER_PAGE):
    """A page of an already bounded, computed list (rows the database cannot order for us)."""
    items = list(items)
    pages = max(1, ceil(len(items) / per_page))
    number = min(max(1, number), pages)
    start = (number - 1) * per_page
    return Page(items[start:start + per_page], number, per_page, len(items))
