"""layouts.common.kept: a file's rows left out, its columns without any value made anew."""

import numpy as np
import pyarrow as pa

from kpi_tui.ingest.layouts.common import kept, null_dictionary
from kpi_tui.ingest.schema import TXN_SCHEMA


def test_kept_is_the_filter():
    n = 1000
    rng = np.random.default_rng(5)
    cols = {
        "customer": pa.array([f"C{i % 37}" if i % 11 else None for i in range(n)]),
        "date": pa.array(rng.integers(19000, 19400, n), pa.int32()).cast(pa.date32()),
        "amount": pa.array(rng.random(n)),
        "currency": pa.nulls(n, pa.string()),
        "txn_id": pa.array([str(i) for i in range(n)]),
        "email": null_dictionary(n),
        "refunded_status": pa.nulls(n, pa.bool_()),
    }
    table = pa.Table.from_arrays([cols[f.name] for f in TXN_SCHEMA], schema=TXN_SCHEMA)
    keep = rng.random(n) > 0.2
    got, want = kept(table, keep), table.filter(pa.array(keep))
    assert got.schema == want.schema and got.equals(want)
    assert got.column("email").null_count == got.num_rows == int(keep.sum())
