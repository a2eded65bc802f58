"""Who contributed: patch emails counted per contributor and per mail domain.

A contributor is one lower-cased address, shown with the name it used most
(the earliest name wins a tie). Tables are ordered by count, highest first,
then by the shown text without its quotes, alphabetically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from listdigest.mail.message import Message

_SPECIALS = set('()<>@,;:\\".[]')


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: a count and what it counts (an address or a domain)."""

    count: int
    key: str
    label: str


def format_address(name: str, addr: str) -> str:
    """``Name <addr>``, quoting the name when it holds RFC 5322 specials (as mail does)."""
    if not name:
        return addr
    if any(c in _SPECIALS for c in name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{addr}>"


def _ranked(counts: Counter[str], labels: dict[str, str], top: int | None) -> list[Row]:
    rows = [Row(n, key, labels[key]) for key, n in counts.items()]
    rows.sort(key=lambda r: (-r.count, bare(r.label).lower(), r.label))
    return rows if top is None else rows[:top]


def bare(label: str) -> str:
    """A label as it sorts: without the quotes a name with specials is shown in
    (``"Liu, Yi L" <…>`` sorts as ``Liu, Yi L <…>``, among the L's)."""
    if label.startswith('"') and (end := label.find('" <')) > 0:
        return label[1:end].replace('\\"', '"').replace("\\\\", "\\") + label[end + 1:]
    return label


def address_table(people: Iterable[tuple[str, str]], top: int | None = None) -> list[Row]:
    """Count ``(name, address)`` pairs per address, each shown with its usual name."""
    return counted_address_table(((name, addr, n) for (name, addr), n
                                  in Counter(people).items()), top)


def counted_address_table(people: Iterable[tuple[str, str, int]],
                          top: int | None = None) -> list[Row]:
    """The same from ``(name, address, count)`` already counted (an index's GROUP BY),
    in order of first appearance: the earliest name wins a tie."""
    counts: Counter[str] = Counter()
    names: dict[str, Counter[str]] = {}
    for name, addr, n in people:
        counts[addr] += n
        names.setdefault(addr, Counter())[name] += n
    labels = {addr: format_address(_usual_name(names[addr]), addr) for addr in counts}
    return _ranked(counts, labels, top)


def contributor_table(messages: Iterable[Message], top: int | None = None) -> list[Row]:
    """Patch emails per contributor address."""
    return address_table(((m.author_name, m.author_addr) for m in messages), top)


def domain_table(messages: Iterable[Message], top: int | None = None) -> list[Row]:
    """Patch emails per contributor mail domain."""
    return counted_domain_table(((msg.author_addr, 1) for msg in messages), top)


def counted_domain_table(addresses: Iterable[tuple[str, int]],
                         top: int | None = None) -> list[Row]:
    """The same from ``(address, count)`` pairs."""
    counts: Counter[str] = Counter()
    for addr, n in addresses:
        counts[addr.rpartition("@")[2]] += n
    return _ranked(counts, {d: d for d in counts}, top)


def _usual_name(names: Counter[str]) -> str:
    """The name used most; Counter keeps first-seen order among equal counts."""
    named = Counter({n: c for n, c in names.items() if n})
    return named.most_common(1)[0][0] if named else ""
