"""The reference's answers to question 2(g)-(h), the CNN's sizes, for TAs reading written reports
(``python -m grader tables cs446-hw2``)."""
def tables(assignment):
    """[(title, column headers, rows)]: each layer's output, and the second convolution's design."""
    net = assignment.load_reference_module("deep_net")
    (channels, side), (pooled_channels, pooled_side) = net.first_layers()
    [(kernel, stride, out_channels)] = net.second_convolutions()
    second_side = net.conv_output_size(pooled_side, kernel, stride)
    rows = [["2(g) 20 convolutions 5x5, stride 1, padding 0", f"{channels} x {side} x {side}"],
            ["2(g) max-pooling 2x2", f"{pooled_channels} x {pooled_side} x {pooled_side}"],
            [f"2(h) convolution: {kernel}x{kernel} filters, stride {stride}, {out_channels} output channels "
             f"({pooled_channels} input channels)", f"{out_channels} x {second_side} x {second_side}"],
            ["2(h) max-pooling 2x2", f"{out_channels} x {second_side // 2} x {second_side // 2}"]]
    return [("2(g)-(h): output of each layer for a 28 x 28 MNIST image", ["layer", "output (channels x H x W)"], rows)]
