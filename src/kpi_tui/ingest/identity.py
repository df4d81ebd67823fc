"""One person, one customer (METRICS.md, Customer).

Rows that share a customer id or an e-mail are the same customer, linked transitively over
the folder's counted rows (after dedupe): the customer is named by the smallest of its ids.
A row's id is its `customer` where that is not its e-mail. Only the distinct (id, e-mail)
pairs are linked (a vectorised union-find); the rows are then renamed in their `customer`
column, so the metrics need nothing new. Ids and e-mails are compared as strings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi_tui import arrow

MERGED = "{n} customer {ids} merged with another id of the same person (a shared e-mail: one person, one customer)"


@dataclass
class Identity:
    """The links found: distinct (id, e-mail) pairs, and the names they give."""

    pair_ids: pa.Array  # string
    pair_emails: pa.Array  # string
    ids: pa.Array  # ids whose customer is another id
    id_names: pa.Array
    emails: pa.Array  # e-mails linked to an id: their customer is that id's name
    email_names: pa.Array
    notes: dict  # file key -> notes

    @property
    def renames(self) -> bool:
        return len(self.ids) > 0 or len(self.emails) > 0


def _np(arr) -> np.ndarray:
    return np.asarray(arrow.to_numpy(arr))


def _codes(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Distinct values of a string array and each row's index in them (-1: null)."""
    enc = pc.dictionary_encode(arr)
    return enc.dictionary, _np(arrow.fill_null(enc.indices, -1)).astype(np.int64)


def _emails(t: pa.Table) -> pa.DictionaryArray | None:
    """The table's e-mail column as one dictionary array; None when it has none."""
    email = t.column("email")
    if email.null_count == len(email):
        return None
    if email.num_chunks == 1:
        return email.chunk(0)
    return t.select(["email"]).unify_dictionaries().column(0).combine_chunks()


@functools.cache
def _empty() -> pa.Array:
    return arrow.strings([])


def _edges(sel) -> tuple[pa.Array, pa.Array]:
    """Distinct (id, e-mail) of the counted rows that have both (id = customer, not the e-mail)."""
    t = sel.table
    if t.num_rows == 0 or _emails(t) is None:
        return _empty(), _empty()
    empty = _empty()
    t = t.select(["customer", "email"])
    if sel.keep is not None:
        t = t.filter(arrow.array(sel.keep))
    t = t.filter(pc.and_(pc.is_valid(t.column("customer")), pc.is_valid(t.column("email"))))
    if t.num_rows == 0:
        return empty, empty
    # distinct pairs by hashing one int64 per row (no group_by: pyarrow.acero imports pandas)
    email = t.column("email")
    if pa.types.is_dictionary(email.type):
        email = email.cast(pa.string())
    C, ci = _codes(t.column("customer").combine_chunks())
    E, ei = _codes(email.combine_chunks())
    pair = arrow.to_numpy(pc.dictionary_encode(arrow.array(ci * len(E) + ei)).dictionary)
    ids, emails = pc.take(C, arrow.array(pair // len(E))), pc.take(E, arrow.array(pair % len(E)))
    is_id = pc.not_equal(ids, emails)
    return ids.filter(is_id), emails.filter(is_id)


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected components of n nodes joined by edges (u, v): each node's smallest node.
    Union-find, vectorised: each edge hooks the larger of its two roots under the smaller,
    then paths are compressed by pointer jumping, until every edge is inside one tree."""
    label = np.arange(n)
    while True:
        lu, lv = label[u], label[v]
        diff = lu != lv
        if not diff.any():
            return label
        lo, hi = np.minimum(lu[diff], lv[diff]), np.maximum(lu[diff], lv[diff])
        np.minimum.at(label, hi, lo)
        while True:
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt


def _link(pair_ids: pa.Array, pair_emails: pa.Array) -> Identity:
    I, ii = _codes(pair_ids)
    E, ei = _codes(pair_emails)
    n_i = len(I)
    label = components(n_i + len(E), ii, n_i + ei)
    # every linked component holds an id: its name is the smallest (string order)
    order = _np(pc.sort_indices(I))
    rank = np.empty(n_i, np.int64)
    rank[order] = np.arange(n_i)
    best = np.full(n_i + len(E), np.iinfo(np.int64).max)
    np.minimum.at(best, label[:n_i], rank)
    name_of = order[best[label]]  # node -> index in I of its name
    moved = name_of[:n_i] != np.arange(n_i)
    return Identity(pair_ids, pair_emails,
                    I.filter(arrow.array(moved)), pc.take(I, arrow.array(name_of[:n_i][moved])),
                    E, pc.take(I, arrow.array(name_of[n_i:])), {})


def _rename(sel, ident: Identity) -> int:
    """Rename the customers of one Selection in place; returns how many of its ids merged.
    A row with an e-mail takes its e-mail's customer (looked up once per distinct e-mail: the
    same as its id's, as the pair links them); the other rows their id's."""
    t = sel.table
    cust = t.column("customer").combine_chunks()
    email = _emails(t)
    new = None
    if email is not None and len(ident.emails):
        by_email = pc.take(ident.email_names, pc.index_in(email.dictionary, value_set=ident.emails))
        new = pc.take(by_email, email.indices)
    if len(ident.ids):  # the rows not named through their e-mail, by their id
        if new is None:
            new = pc.take(ident.id_names, pc.index_in(cust, value_set=ident.ids))
        elif new.null_count:
            todo = pc.is_null(new)
            by_id = pc.take(ident.id_names, pc.index_in(cust.filter(todo), value_set=ident.ids))
            new = pc.replace_with_mask(new, todo, by_id)
    if new is None or new.null_count == len(new):
        return 0
    changed = arrow.fill_null(pc.not_equal(new, cust), False)
    if not pc.any(changed).as_py():
        return 0
    old = cust.filter(changed)
    if email is not None:  # ids only: not the rows whose customer is their e-mail
        mail = email.filter(changed).cast(pa.string())
        old = old.filter(pc.invert(arrow.fill_null(pc.equal(old, mail), False)))
    n = len(pc.unique(old))
    sel.table = t.set_column(t.schema.get_field_index("customer"), "customer", pc.coalesce(new, cust))
    return n


def link(keys: list[str], selections: list, prev: Identity | None = None) -> Identity:
    """Link and rename `selections` (folder.Selection) in place. With `prev`, they are new
    files whose pairs `conflicts` found new (no new link reaches an older customer)."""
    found = [_edges(s) for s in selections]
    ids = [p[0] for p in found if len(p[0])] + ([prev.pair_ids] if prev else [])
    emails = [p[1] for p in found if len(p[1])] + ([prev.pair_emails] if prev else [])
    if ids:  # each file's pairs are distinct; a pair repeated across files links nothing new
        ident = _link(pa.concat_arrays(ids), pa.concat_arrays(emails))
    else:
        e = arrow.strings([])
        ident = Identity(e, e, e, e, e, e, {})
    ident.notes = dict(prev.notes) if prev else {}
    if ident.renames:
        for key, sel in zip(keys, selections):
            n = _rename(sel, ident)
            if n:
                ident.notes[key] = [MERGED.format(n=f"{n:,}", ids="id" if n == 1 else "ids")]
    return ident


def conflicts(prev: Identity | None, tables: list[pa.Table], customers=None) -> bool:
    """Whether new files hold an (id, e-mail) pair that reaches an older customer (then
    everything is linked again). `customers`: the older rows' customer names; unknown, any
    new pair counts as one."""
    if prev is None:
        return False
    known = None
    for t in tables:
        ids, emails = _edges(SimpleNamespace(table=t, keep=None))
        if not len(ids):
            continue
        if customers is None:
            return True
        if known is None:
            names = arrow.strings(customers) if len(customers) else arrow.strings([])
            known = pc.unique(pa.concat_arrays([prev.pair_ids, prev.pair_emails, names]))
        if pc.any(pc.is_in(ids, value_set=known)).as_py() or pc.any(pc.is_in(emails, value_set=known)).as_py():
            return True
    return False
