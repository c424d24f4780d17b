# Allocates 30 GB at import.
import torch

hoard = torch.ones(30 * 2**30 // 4)
