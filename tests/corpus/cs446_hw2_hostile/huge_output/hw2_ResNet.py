# Prints 50 MB at import and more on every forward pass; otherwise correct.
import os
import sys

import torch
from torch import nn

sys.stdout.write("x" * (50 * 2**20))
sys.stdout.flush()



class Block(nn.Module):
    def __init__(self, num_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(num_channels, num_channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, x):
        print("y" * 100000)
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


class ResNet(nn.Module):
    def __init__(self, num_channels, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, num_channels, 3, 2, 1, bias=False), nn.BatchNorm2d(num_channels),
                                  nn.ReLU(), nn.MaxPool2d(2))
        self.block = Block(num_channels)
        self.fc = nn.Linear(num_channels, num_classes)

    def forward(self, x):
        return self.fc(self.block(self.stem(x)).mean(dim=(2, 3)))
