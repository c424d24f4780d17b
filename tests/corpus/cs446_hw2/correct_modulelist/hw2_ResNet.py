import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, num_channels):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(2):
            self.layers.append(nn.Conv2d(num_channels, num_channels, 3, padding=1, bias=False))
            self.layers.append(nn.BatchNorm2d(num_channels))

    def forward(self, x):
        out = x
        for i, layer in enumerate(self.layers):
            out = layer(out)
            if i == 1:
                out = torch.clamp(out, min=0)
        return torch.relu(out + x)


class ResNet(nn.Module):
    def __init__(self, num_channels, num_classes=10):
        super().__init__()
        self.parts = nn.ModuleDict({
            "conv": nn.Conv2d(1, num_channels, 3, 2, 1, bias=False),
            "bn": nn.BatchNorm2d(num_channels),
            "pool": nn.MaxPool2d(2),
            "block": Block(num_channels),
            "avg": nn.AdaptiveAvgPool2d(1),
            "fc": nn.Linear(num_channels, num_classes),
        })

    def forward(self, x):
        p = self.parts
        x = p["pool"](torch.relu(p["bn"](p["conv"](x))))
        x = torch.flatten(p["avg"](p["block"](x)), start_dim=1)
        return p["fc"](x)
