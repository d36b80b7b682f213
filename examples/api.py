"""nnarith from Python: load a spec, analyse it, and read the numbers."""

from nnarith import analyze, load_spec, load_template, parse_spec

report = analyze(load_spec("resnet50"))
totals = report.totals
print(f"{report.name}: {totals.params:,} params, {totals.macs:,} MACs, "
      f"{totals.memory_bytes / 2**20:.1f} MiB of activations per image")

# The five layers with the most MACs.
for row in sorted(report.rows, key=lambda r: r.macs, reverse=True)[:5]:
    print(f"  {row.name:<32} {row.macs:>12,} MACs  {'x'.join(map(str, row.shape.dims))}")

# A spec written inline: how much does the input size change the memory, and not the parameters?
text = "input: [3, 224, 224]\nlayers: [conv: {out: 64, kernel: 7, stride: 2, pad: 3}, relu, gap, fc: 10]\n"
small, large = (analyze(parse_spec(text, "inline.yaml", input=(3, s, s))) for s in (224, 448))
assert small.totals.params == large.totals.params == 64 * (7 * 7 * 3 + 1) + 10 * (64 + 1)
print(f"memory at 224: {small.totals.memory_bytes:,} bytes; at 448: {large.totals.memory_bytes:,} bytes")

# A spec's own arguments (its args:): the VGG family by its stages' convolutions. A template reads the
# spec once and expands it for each value, as a search over one argument does.
family = load_template("vgg")
for convs in (2, 3, 4):
    net = family.network({"stage3": convs, "stage4": convs, "stage5": convs})
    print(f"VGG with {convs} convolutions in stages 3-5: {analyze(net).totals.params:,} params, args {net.args}")
