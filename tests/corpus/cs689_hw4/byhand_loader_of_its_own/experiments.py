"""Part 2 written against the course's own starter, which names no data set class: the songs are cut
into non-overlapping windows of 32 events by a class of its own, and a function builds the loaders.
(The shape of two real fall-2024 submissions: correct work the grader cannot call as NoteDataset.)"""
import argparse
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, random_split

WINDOW = 32
STRIDE = 32


def read_songs(data_dir):
    songs = []
    for artist in sorted(Path(data_dir).iterdir()):
        for song_file in sorted(artist.glob("*.pt")):
            songs.append(torch.load(song_file, weights_only=True).long())
    return songs


class MidiWindows(Dataset):
    def __init__(self, songs, window=WINDOW, stride=STRIDE):
        self.window = window
        self.samples = []
        for song in songs:
            for end in range(window, len(song), stride):
                self.samples.append((song[end - window:end], song[end]))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        return self.samples[idx]


def build_loaders(data_dir, batch_size=64, val_share=0.1):
    windows = MidiWindows(read_songs(data_dir))
    n_val = int(len(windows) * val_share)
    train_part, val_part = random_split(windows, [len(windows) - n_val, n_val],
                                        generator=torch.Generator().manual_seed(1))
    return (DataLoader(train_part, batch_size=batch_size, shuffle=True),
            DataLoader(val_part, batch_size=batch_size))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/train")
    args = parser.parse_args()
    train_loader, val_loader = build_loaders(args.data)
    print(len(train_loader.dataset), "training windows,", len(val_loader.dataset), "validation windows")
