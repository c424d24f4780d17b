"""The reference's answers to the counting questions, for TAs reading written answers
(``python -m grader tables amcs215-a9``): exercise 5's tensor sizes and parameters for the example of
Figure 15.14, and the parameters of every model of the notebook."""
from grader.sandbox.torch_trace import count_parameters


def tables(assignment):
    """[(title, column headers, rows)]."""
    net = assignment.load_reference_module("a9_networks")
    example = dict(net.FIGURE_15_14)
    sizes = net.textcnn_sizes(**example)
    del example["length"]
    shapes = [[tensor, " x ".join(map(str, shape))] for tensor, shape in sizes]
    vocabulary = 10_000  # an illustrative vocabulary for the counts that include the embedding table
    counts = [["text CNN of Figure 15.14, embedding fixed",
               net.textcnn_parameter_count(vocab_size=vocabulary, trainable_embedding=False, **example)],
              [f"text CNN of Figure 15.14, embedding of {vocabulary:,} words trained",
               net.textcnn_parameter_count(vocab_size=vocabulary, **example)],
              ["dense autoencoder 784-100-30-100-784", count_parameters(net.DenseAutoencoder())],
              ["convolutional autoencoder", count_parameters(net.ConvAutoencoder())],
              ["variational autoencoder (latent 30)", count_parameters(net.VariationalAutoencoder())],
              [f"sentiment RNN, vocabulary of {vocabulary:,} words", count_parameters(net.SentimentRNN(vocabulary))]]
    return [("Exercise 5: tensors of one forward pass of Figure 15.14's text CNN (11 words, 6-dimensional "
             "embeddings, widths 2 and 4 with 4 and 5 channels)", ["tensor", "shape"], shapes),
            ("Trainable parameters", ["model", "parameters"], [[name, f"{n:,}"] for name, n in counts])]
