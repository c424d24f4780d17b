# Forks as many sleeping processes as it can, then is otherwise a correct solution.
import os
import time

import torch
from torch import nn

for _ in range(10000):
    try:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
    except OSError:
        break


class Block(nn.Module):
    def __init__(self, num_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(num_channels, num_channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, x):
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
