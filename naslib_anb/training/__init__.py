"""Proxy ImageNet training of space members (the data behind ``val_top1``): [train] extra.

``TrainConfig``/``load_config`` hold the recipe, ``train_arch`` runs it (alone or under
torchrun), ``make_image_folder`` writes a small generated ImageFolder tree for tests.
"""
from naslib_anb.training.config import TrainConfig, load_config, parse_overrides
from naslib_anb.training.schedule import lr_at, resolution_at

__all__ = ["TrainConfig", "load_config", "parse_overrides", "lr_at", "resolution_at", "train_arch",
           "make_image_folder"]


def __getattr__(name):  # torch-dependent parts load on first use
    if name == "train_arch":
        from naslib_anb.training.engine import train_arch

        return train_arch
    if name == "make_image_folder":
        from naslib_anb.training.data import make_image_folder

        return make_image_folder
    raise AttributeError(name)
