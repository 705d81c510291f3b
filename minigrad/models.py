"""The models ``minigrad train`` builds: small classic networks with BatchNorm after every layer.

``fused=True`` puts the closed-form BatchNorm op in place of the derived one; the two give
the same numbers (``minigrad check-bn``), the fused one in less time and memory.

>>> import minigrad
>>> model = mlp_bn(2, 3)
>>> model(minigrad.randn(4, 2)).shape
(4, 3)
"""

from __future__ import annotations

from minigrad import nn


def lenet_bn(fused: bool = False) -> nn.Sequential:
    """Two conv blocks and a BN-MLP head for 1x28x28 images, 10 classes."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32, fused=fused),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64, fused=fused),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.BatchNorm1d(128, fused=fused),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def mlp_bn(in_features: int, classes: int, fused: bool = False) -> nn.Sequential:
    """in_features -> 256 -> BN -> ReLU -> 256 -> BN -> ReLU -> classes. Images are flattened
    first, so the same builder takes 2-D points (in_features=2) and MNIST (784)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(in_features, 256),
        nn.BatchNorm1d(256, fused=fused),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.BatchNorm1d(256, fused=fused),
        nn.ReLU(),
        nn.Linear(256, classes),
    )


def _conv_block(in_channels: int, out_channels: int, fused: bool) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels, fused=fused),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ]


def cifar_bn_net(fused: bool = False) -> nn.Sequential:
    """The classic BN net for 3x32x32 images: three [Conv3x3 -> BN -> ReLU -> MaxPool2] blocks
    with 64, 128 and 256 channels (32 -> 16 -> 8 -> 4 pixels a side), then
    FC 256*4*4 -> 1024 -> BN -> ReLU -> FC 10."""
    return nn.Sequential(
        *_conv_block(3, 64, fused),
        *_conv_block(64, 128, fused),
        *_conv_block(128, 256, fused),
        nn.Flatten(),
        nn.Linear(256 * 4 * 4, 1024),
        nn.BatchNorm1d(1024, fused=fused),
        nn.ReLU(),
        nn.Linear(1024, 10),
    )
