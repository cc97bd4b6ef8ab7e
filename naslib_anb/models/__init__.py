"""Architecture -> ``torch.nn.Module`` through timm's EfficientNet builder ([train] extra)."""
from naslib_anb.models.builder import ACTIVATIONS, build_model, count_params, count_params_built

__all__ = ["ACTIVATIONS", "build_model", "count_params", "count_params_built"]
