"""The ANB dataset: records, sources, splits."""
from naslib_anb.data.dataset import Dataset, Split, load_dataset
from naslib_anb.data.records import Measurement, Record, parse_record, regime_of
from naslib_anb.data.source import (ENV_VAR, TARBALL_SHA256, TARBALL_URL, download, find_data_path,
                                    resolve_data_path)

__all__ = ["Dataset", "Split", "load_dataset", "Record", "Measurement", "parse_record",
           "regime_of", "download", "find_data_path", "resolve_data_path", "ENV_VAR", "TARBALL_SHA256", "TARBALL_URL"]
