"""The golden files' format: one `.npz` per section (ops, nn, optim, lr_scheduler).

A section maps a case id to a record, and a record maps field names to arrays. In the file,
the case ids are the string array `ids`, field `f` of record `i` is the array
`r{i}.{f}`, and `meta` is a JSON string (which PyTorch and NumPy made the file). Files
keep their fields in the order written (a state_dict's order matters), and are written
atomically with fixed zip timestamps, so regenerating the same numbers rewrites the same
bytes.
"""

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent
SECTIONS = ("ops", "nn", "optim", "lr_scheduler")


def path_of(section):
    return FOLDER / f"{section}.npz"


def write(section, records, meta):
    """Write `records` (case id -> {field: array}) and `meta` (a dict) as `section`."""
    arrays = {"ids": np.array(list(records)), "meta": np.array(json.dumps(meta, sort_keys=True))}
    for i, record in enumerate(records.values()):
        for field, value in record.items():
            arrays[f"r{i}.{field}"] = np.asarray(value)
    path = path_of(section)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for key in arrays:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, arrays[key], allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())
    os.replace(tmp, path)
    return path


def read(section):
    """`(records, meta)` of `section`, as `write` was given them."""
    with np.load(path_of(section), allow_pickle=False) as data:
        ids = [str(name) for name in data["ids"]]
        records = {name: {} for name in ids}
        for key in data.files:
            if key.startswith("r"):
                index, _, field = key[1:].partition(".")
                records[ids[int(index)]][field] = data[key]
        return records, json.loads(str(data["meta"]))
