#!/usr/bin/env bash
# The lecture's table (Seide et al. 2011): the one hidden layer with the weights of 5 x 2k, and of 7 x 2k.
# The lecture's figures count weights: widths 3772 and 4634. Counting biases too (params): 3772 and 4635.
set -euo pipefail
spec=examples/speech_dnn.yaml

for hidden in 5 7; do
  for figure in weights params; do
    echo "# one hidden layer with the $figure of $hidden x 2048"
    nnarith solve "$spec" --vary width --set hidden=1 --target "$figure=@$spec[hidden=$hidden]"
    echo
  done
done

# Fat and short against thin and tall, side by side.
nnarith compare "$spec[hidden=5]" "$spec[hidden=1,width=3772]" "$spec[hidden=7]" "$spec[hidden=1,width=4634]"
