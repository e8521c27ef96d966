"""Request bodies to an XGBoost DMatrix, as ``serve_utils.parse_content_data`` does.

Every function raises the exception the container raises, with its message, so the Flask view
can answer the same status and body (serve.py:213-217: any parse failure is 415).
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

from . import recordio

if TYPE_CHECKING:
    import numpy as np

CSV = "csv"  # data_utils.py:36-39
LIBSVM = "libsvm"
PARQUET = "parquet"
RECORDIO_PROTOBUF = "recordio-protobuf"

# data_utils.py:43-53, in the container's order (its 415 message lists them).
VALID_CONTENT_TYPES = (
    CSV,
    LIBSVM,
    PARQUET,
    RECORDIO_PROTOBUF,
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-parquet",
    "application/x-recordio-protobuf",
)


class UserError(Exception):
    """sagemaker_algorithm_toolkit.exceptions.UserError: str() is the message."""


def parse_header(line: str) -> tuple[str, dict[str, str]]:
    """What ``cgi.parse_header`` returns (the container calls it; cgi leaves Python in 3.13).

    Splits on ";" outside double quotes; parameter names are stripped and lower-cased, values
    stripped and unquoted.
    """
    parts = _split_params(";" + line)
    key = next(parts)
    params: dict[str, str] = {}
    for part in parts:
        index = part.find("=")
        if index >= 0:
            name = part[:index].strip().lower()
            value = part[index + 1 :].strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace("\\\\", "\\").replace('\\"', '"')
            params[name] = value
    return key, params


def _split_params(text: str) -> Any:
    while text[:1] == ";":
        text = text[1:]
        end = text.find(";")
        while end > 0 and (text.count('"', 0, end) - text.count('\\"', 0, end)) % 2:
            end = text.find(";", end + 1)
        if end < 0:
            end = len(text)
        yield text[:end].strip()
        text = text[end:]


def get_content_type(header: str | None) -> str:
    """data_utils.get_content_type (data_utils.py:86-122)."""
    if header is None:
        return LIBSVM  # data_utils.py:97-98: no Content-Type at all means libsvm
    content_type, params = parse_header(header.lower())
    if content_type in (CSV, "text/csv"):
        if params and "label_size" in params and params["label_size"] != "1":
            raise UserError(
                f"{header} is not an accepted csv ContentType. "
                "Optional parameter label_size must be equal to 1"
            )
        return CSV
    if content_type in (LIBSVM, "text/libsvm", "text/x-libsvm"):
        return LIBSVM
    if content_type in (PARQUET, "application/x-parquet"):
        return PARQUET
    if content_type in (RECORDIO_PROTOBUF, "application/x-recordio-protobuf"):
        return RECORDIO_PROTOBUF
    raise UserError(f"{header} is not an accepted ContentType: {', '.join(VALID_CONTENT_TYPES)}.")


def csv_to_array(text: str) -> np.ndarray:
    """encoder.csv_to_dmatrix's array (encoder.py:50-55): sniffed delimiter, "" is NaN."""
    import numpy as np

    sniffed = csv.Sniffer().sniff(text.split("\n", maxsplit=1)[0][:512]).delimiter
    delimiter = "," if sniffed.isalnum() else sniffed
    rows = [
        ["nan" if cell == "" else cell for cell in line.split(delimiter)]
        for line in text.split("\n")
    ]
    return np.array(rows).astype(float)


def libsvm_to_sparse(text: str) -> Any:
    """serve_utils._get_sparse_matrix_from_libsvm (serve_utils.py:94-115)."""
    import numpy as np
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    rows: list[int] = []
    columns: list[str] = []
    values: list[str] = []
    for row_index, line in enumerate(text.split("\n")):
        for item in line.split(" "):
            if ":" in item:
                rows.append(row_index)
                columns.append(item.split(":")[0])
                values.append(item.split(":")[1])
    row = np.array(rows)
    column = np.array(columns).astype(int)
    data = np.array(values).astype(float)
    return csr_matrix((data, (row, column)))


def recordio_protobuf_to_matrix(body: bytes) -> Any:
    """encoder.recordio_protobuf_to_dmatrix's matrix (encoder.py:80-102), without mlio.

    Dense when the first record's tensor has no keys: one row per record; sparse otherwise,
    with the column count from the tensor's shape (else the largest key + 1).
    """
    import numpy as np
    from scipy.sparse import csr_matrix, vstack

    tensors = [recordio.read_features(record) for record in recordio.iter_records(body)]
    present = [tensor for tensor in tensors if tensor is not None]
    if not present:
        raise ValueError("no record with a 'values' feature")
    if not present[0].keys:
        return np.vstack([np.asarray(tensor.values, dtype=np.float64) for tensor in present])
    rows = []
    for tensor in present:
        columns = tensor.shape[0] if tensor.shape else max(tensor.keys, default=-1) + 1
        rows.append(
            csr_matrix(
                (
                    np.asarray(tensor.values),
                    np.asarray(tensor.keys, dtype=np.int64),
                    [0, len(tensor.keys)],
                ),
                shape=(1, columns),
            )
        )
    return vstack(rows).tocsr()


def parse_content_data(payload: bytes, content_type_header: str | None) -> tuple[Any, str]:
    """(DMatrix, parsed content type), raising what serve_utils.parse_content_data raises.

    nthread=1: the container runs with OMP_NUM_THREADS=1 (serving.py:46-60); the same matrix.
    """
    import xgboost as xgb

    content_type = get_content_type(content_type_header)  # serve_utils.py:120
    if content_type == CSV:
        try:
            decoded = payload.strip().decode("utf-8")
            return xgb.DMatrix(csv_to_array(decoded), nthread=1), content_type
        except Exception as error:  # serve_utils.py:126-130
            raise RuntimeError(
                "Loading csv data failed with Exception, please ensure data is in csv format:\n"
                f" {type(error)}\n {error}"
            ) from None
    if content_type == LIBSVM:
        try:
            decoded = payload.strip().decode("utf-8")
            return xgb.DMatrix(libsvm_to_sparse(decoded), nthread=1), content_type
        except Exception as error:  # serve_utils.py:135-139
            raise RuntimeError(
                "Loading libsvm data failed with Exception, please ensure data is in libsvm "
                f"format:\n {type(error)}\n {error}"
            ) from None
    if content_type == RECORDIO_PROTOBUF:
        try:
            return xgb.DMatrix(recordio_protobuf_to_matrix(payload), nthread=1), content_type
        except Exception as error:  # serve_utils.py:143-148
            raise RuntimeError(
                "Loading recordio-protobuf data failed with Exception, please ensure data is "
                f"in recordio-protobuf format: {type(error)} {error}"
            ) from None
    raise RuntimeError(f"Content-type {content_type_header} is not supported.")  # :150
