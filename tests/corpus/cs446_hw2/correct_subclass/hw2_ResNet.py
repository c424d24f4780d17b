"""A convolution subclass, a helper, a training script under __main__ and a print at import."""
import math

import torch
from torch import nn

print("loading my ResNet")


class Conv3x3(nn.Conv2d):
    def __init__(self, channels_in, channels_out, stride=1):
        super().__init__(channels_in, channels_out, kernel_size=3, stride=stride, padding=1, bias=False)


class Block(nn.Module):
    def __init__(self, num_channels):
        super().__init__()
        self.path = nn.Sequential(Conv3x3(num_channels, num_channels), nn.BatchNorm2d(num_channels), nn.ReLU(),
                                  Conv3x3(num_channels, num_channels), nn.BatchNorm2d(num_channels))
        self.out = nn.ReLU()

    def forward(self, x):
        return self.out(self.path(x).add(x))


class ResNet(nn.Module):
    def __init__(self, num_channels, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(Conv3x3(1, num_channels, stride=2), nn.BatchNorm2d(num_channels), nn.ReLU())
        self.down = nn.MaxPool2d(2)
        self.block = Block(num_channels)
        self.fc = nn.Linear(num_channels, num_classes)

    def forward(self, x):
        x = self.block(self.down(self.stem(x)))
        x = nn.functional.adaptive_avg_pool2d(x, 1).squeeze(-1).squeeze(-1)
        return self.fc(x)


if __name__ == "__main__":
    net = ResNet(4)
    print(sum(p.numel() for p in net.parameters()), 18 * 16 + 25 * 4 + 10, math.pi)
