"""torchvision's ResNet-18, pretrained on ImageNet, as a feature extractor.

The weights (`ResNet18_Weights.IMAGENET1K_V1`, 45 MB) are read from torch's hub cache,
`torch.hub.get_dir()/checkpoints/<the file name of weights.url>`, the file torchvision itself
downloads there. `load_resnet18` downloads it only when asked (`download=True`); without the file,
or without a network, it raises `PretrainedUnavailable` with a message naming the file, the folder
and how to get it. `resnet_features` turns images into the 512 numbers before ResNet's last layer.

Speed (measured, one CPU thread): about 0.09 s per 224 × 224 image, so task B's 900 images take
well over a minute on a CPU; a GPU reads them in about a second.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FEATURES", "PretrainedUnavailable", "load_resnet18", "resnet18_weights_file", "resnet_features",
           "unavailable_message"]

FEATURES = 512  # numbers per image out of ResNet-18's global average pool
SIDE = 224  # the image size ImageNet's networks were trained at


class PretrainedUnavailable(RuntimeError):
    """The pretrained weights are not on this machine and could not be downloaded; the message says how
    to get them."""


def _weights():
    from torchvision.models import ResNet18_Weights

    return ResNet18_Weights.IMAGENET1K_V1


def resnet18_weights_file() -> Path:
    """Where torchvision keeps ResNet-18's ImageNet weights: torch.hub.get_dir()/checkpoints/<file name>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_weights().url).name


def unavailable_message(cause: str | None = None) -> str:
    """What to do when the weights are missing: the exact file, the folder and two ways to fill it."""
    file = resnet18_weights_file()
    because = f" ({cause})" if cause else ""
    return (f"ResNet-18's ImageNet weights are not on this machine{because}. They belong in {file.parent} as "
            f"{file.name} (45 MB). On a machine with internet access, allow the download here, or run "
            "`python -c \"import torchvision; torchvision.models.resnet18(weights='IMAGENET1K_V1')\"` once, or "
            f"download {_weights().url} yourself and copy it into that folder. To keep it elsewhere, set "
            "TORCH_HOME (the folder is $TORCH_HOME/hub/checkpoints).")


def load_resnet18(*, download: bool = False) -> nn.Module:
    """ResNet-18 with its ImageNet weights, in eval mode, on the CPU.

    Read from `resnet18_weights_file()`; if it is missing, downloaded there when `download` is True.
    PretrainedUnavailable (with `unavailable_message`) when the file is missing and may not be
    downloaded, when the download fails, or when the file is damaged."""
    from torchvision.models import resnet18

    file = resnet18_weights_file()
    if not file.exists() and not download:
        raise PretrainedUnavailable(unavailable_message("no download was allowed"))
    try:
        if file.exists():
            state = torch.load(file, map_location="cpu", weights_only=True)
        else:
            state = torch.hub.load_state_dict_from_url(_weights().url, map_location="cpu", progress=False,
                                                       check_hash=True)
        model = resnet18()
        model.load_state_dict(state)
    except Exception as e:  # URLError, HTTPError, a damaged or mismatched file: the user needs the same advice
        raise PretrainedUnavailable(unavailable_message(f"{type(e).__name__}: {e}")) from None
    return model.eval()


def _prepare(images: torch.Tensor, side: int = SIDE) -> torch.Tensor:
    """Images (N, 1 or 3, H, W) in [0, 1] as ImageNet's networks expect them: three channels, side × side
    (bilinear; 224 as in ImageNet), normalised with the weights' mean and standard deviation."""
    transforms = _weights().transforms()
    x = images.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False, antialias=False)
    mean = torch.tensor(transforms.mean).view(1, 3, 1, 1)
    std = torch.tensor(transforms.std).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def resnet_features(model: nn.Module, images: torch.Tensor, *, batch_size: int = 64, side: int = SIDE) -> torch.Tensor:
    """The 512 features (N, 512) of images (N, 1 or 3, H, W) in [0, 1]: ResNet-18 without its last
    (fully connected) layer, read in batches."""
    body = nn.Sequential(*list(model.children())[:-1]).eval()  # everything up to the average pool
    parts = [body(_prepare(images[i:i + batch_size], side)).flatten(1) for i in range(0, len(images), batch_size)]
    return torch.cat(parts) if parts else torch.zeros(0, FEATURES)
