#!/usr/bin/env bash
# The quick questions of a CNN course, each answered with one `nnarith calc`.
set -euo pipefail

# 32x32x3 input, ten 5x5 filters with stride 1 and pad 2: output volume and parameters?
# -> 10x32x32 and 760 parameters (10 x (5*5*3 + 1)).
nnarith calc --input 3x32x32 "conv: {out: 10, kernel: 5, pad: 2}"

# AlexNet's first layer on a 227x227x3 image: 96 filters of 11x11 at stride 4, then 3x3/2 max pooling.
nnarith calc --input 3x227x227 "conv: {out: 96, kernel: 11, stride: 4}" relu "maxpool: {kernel: 3, stride: 2}"

# A 7x7 input with a 3x3 filter at stride 3 "doesn't fit": nnarith floors as PyTorch does, and flags it.
nnarith calc --input 1x7x7 "conv: {out: 1, kernel: 3, stride: 3}"

# Three stacked 3x3 convs see a 7x7 region of the input, with the parameters of far fewer than one 7x7 conv.
nnarith calc --input 64x56x56 "conv: {out: 64, kernel: 3, pad: 1, repeat: 3}" --exact
