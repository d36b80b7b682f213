"""The metrics `nnarith plot` charts, by name: a module of its own, so that the command's help names them
without importing the analysis."""

# The metrics --metric selects, in the order the charts are drawn, and what each shows
METRICS = {
    "params": "parameters (weights + biases) per layer",
    "macs": "multiply-accumulates per layer, bias excluded (FLOPs = 2 x MACs)",
    "memory": "activation memory per layer (the output it allocates, shape's memory column), at --batch and --dtype",
    "saved": "bytes each layer keeps for backward in one training step (the model of 'nnarith memory --training')",
    "share": "cumulative shares of the parameters, MACs and activation memory, from the input on",
    "rf": "receptive field size in input pixels",
    "size": "the output's spatial size",
}
