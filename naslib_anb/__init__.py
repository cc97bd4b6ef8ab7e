"""naslib_anb: Accel-NASBench, the ImageNet MnasNet-space benchmark, as a NASLib plugin.

The core (space, data, surrogates, optimizers) imports neither torch nor naslib;
``naslib_anb.naslib`` adapts it to NASLib and imports ``naslib`` lazily.
"""
from naslib_anb.data import Dataset, Record, load_dataset
from naslib_anb.errors import (
    ANBError,
    ChecksumMismatchError,
    CorruptDataError,
    DataError,
    DataNotFoundError,
    InvalidArchitectureError,
    ModelFileError,
    UnknownDeviceError,
    UnknownMetricError,
    UnknownTargetError,
)
from naslib_anb.space import EFFICIENTNET_B0, SPACE_SIZE, Arch
from naslib_anb.targets import DEVICES, TARGETS, get_target, list_targets

__version__ = "0.1.0"

__all__ = [
    "Arch", "EFFICIENTNET_B0", "SPACE_SIZE", "Dataset", "Record", "load_dataset",
    "DEVICES", "TARGETS", "get_target", "list_targets",
    "ANBError", "InvalidArchitectureError", "UnknownDeviceError", "UnknownMetricError",
    "UnknownTargetError", "DataError", "DataNotFoundError", "CorruptDataError",
    "ChecksumMismatchError", "ModelFileError", "__version__",
]
