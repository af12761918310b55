"""Assignment 11: sequence to sequence: masking, teacher forcing, Bahdanau attention.

The pieces of an encoder-decoder trained on padded batches: a mask for the padding, a
cross-entropy that ignores it, the shifted decoder inputs of teacher forcing, additive
(Bahdanau) attention, and a GRU decoder that attends over the encoder's outputs at every
step.

Conventions: token tensors are batch-first (B, T), int64. `valid_len` (B,) int64 counts the
tokens of each sequence that count, <eos> included; the padding comes after them, so
position t of sequence b is real exactly when t < valid_len[b].

Do not call F.cross_entropy, F.nll_loss, nn.CrossEntropyLoss, torch.softmax /
torch.log_softmax (or their F. and Tensor forms), nn.GRU, nn.GRUCell, torch.gru_cell,
nn.Embedding, F.embedding, nn.MultiheadAttention or F.scaled_dot_product_attention.
Reuse your own pieces instead: log_softmax (02), gru_cell (06: paste it below) and
masked_softmax (08). Elementary operations (matmul, exp, log, tanh, sigmoid, amax, gather,
masked_fill, where, cat, indexing a table with a tensor of ids, ...) are fine.
"""

import torch

# ---------------------------------------------------------------- your piece from assignment 06


def gru_cell(
    x: torch.Tensor,
    h: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
) -> torch.Tensor:
    """One GRU step in PyTorch's form, as nn.GRUCell: paste your gru_cell from assignment 06.

    x (B, I), h (B, H), w_ih (3H, I), w_hh (3H, H), biases (3H,) or None; row blocks (r, z, n).
        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr),  z = sigmoid(... same with z ...)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),  h' = (1 - z) * n + z * h
    Not graded on its own here: attention_decoder_forward uses it.
    """
    raise NotImplementedError("TODO: implement this function")


# ---------------------------------------------------------------- graded functions


def sequence_mask(X: torch.Tensor, valid_len: torch.Tensor, value: float = 0.0) -> torch.Tensor:
    """X with every padded position set to `value`: a NEW tensor, X itself is left alone.

    X: (B, T, ...) of any dtype (float, int or bool), any number of trailing axes;
    valid_len: (B,) int64 with values in [0, T].
        out[b, t, ...] = X[b, t, ...]   for t <  valid_len[b]
        out[b, t, ...] = value          for t >= valid_len[b]
    Build the (B, T) boolean mask `arange(T) < valid_len[:, None]` and reshape it so that it
    broadcasts over X's trailing axes. Returns a tensor of X's shape, dtype and device.
    The book's version writes `X[~mask] = value` into X and returns X itself: here the caller's
    tensor must not change.
    """
    raise NotImplementedError("TODO: implement this function")


def masked_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, valid_len: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Per-token cross-entropy of a batch of padded sequences, zero at the padding.

    logits (B, T, V) float, target (B, T) int64 in [0, V) (any value at padded positions),
    valid_len (B,) int64 in [0, T].
        loss[b, t] = -log softmax(logits[b, t])[target[b, t]]   for t < valid_len[b], else 0
    reduction: "none" returns loss (B, T); "sum" its sum (a 0-dim tensor); "mean" the sum
    divided by the number of real tokens, valid_len.sum() (a token-level mean: padding counts
    neither in the numerator nor in the denominator), and exactly 0.0 when there is no real
    token at all. Any other value raises ValueError.
    Equals F.cross_entropy(logits.transpose(1, 2), target with -100 at the padding,
    ignore_index=-100, reduction=...), except that PyTorch gives NaN (0/0) for the mean of
    all-padding batches. Stay finite for logits of +-1e4: reuse your stable log_softmax (02).
    """
    raise NotImplementedError("TODO: implement this function")


def teacher_forcing_inputs(Y: torch.Tensor, bos_id: int) -> torch.Tensor:
    """The decoder's inputs under teacher forcing: <bos>, then the target shifted right by one.

    Y (B, T) int64 (the target tokens, <eos> and padding included); bos_id: the <bos> token id.
        out[:, 0] = bos_id,   out[:, t] = Y[:, t - 1]  for t = 1 .. T-1
    so that at step t the decoder sees the true previous token and must predict Y[:, t].
    Returns (B, T), Y's dtype and device (the last column of Y is never an input).
    """
    raise NotImplementedError("TODO: implement this function")


def additive_attention(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    valid_lens: torch.Tensor | None,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    w_v: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Additive (Bahdanau) attention, as d2l's AdditiveAttention with the given weights.

    queries (B, Q, Dq), keys (B, K, Dk), values (B, K, Dv); W_q (A, Dq), W_k (A, Dk) and
    w_v (A,) are the weights of nn.Linear(Dq, A), nn.Linear(Dk, A) and nn.Linear(A, 1)
    (bias=False, the last one flattened); A is the attention's hidden size.
        scores[b, q, k] = w_v . tanh(W_q queries[b, q] + W_k keys[b, k])      (B, Q, K)
        weights = masked_softmax(scores, valid_lens)                             (B, Q, K)
        context = weights @ values                                               (B, Q, Dv)
    valid_lens: None, (B,) or (B, Q) int64, as in 08's masked_softmax: keys at or beyond the
    valid length get weight exactly 0, and a row with valid length 0 is all zeros (never NaN,
    never uniform). Build the (B, Q, K, A) features by broadcasting (queries projected to
    (B, Q, 1, A), keys to (B, 1, K, A)): no Python loop over queries, keys or the batch.
    Returns (context, weights).
    """
    raise NotImplementedError("TODO: implement this function")


def attention_decoder_forward(
    Y_in: torch.Tensor,
    state: torch.Tensor,
    enc_outputs: torch.Tensor,
    enc_valid_len: torch.Tensor | None,
    params: dict[str, torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A one-layer GRU decoder with Bahdanau attention, run over T steps with teacher forcing.

    Y_in (B, T) int64: the decoder's inputs, already shifted (teacher_forcing_inputs);
    state (B, H): s_0, the encoder's final hidden state; enc_outputs (B, S, H): the keys and
    values of the attention; enc_valid_len (B,) int64 or None: the real source positions.
    params (d2l's Seq2SeqAttentionDecoder, with nn.GRU's and nn.Linear's layouts):
        "embedding" (V, E), "attn.W_q" (A, H), "attn.W_k" (A, H), "attn.w_v" (A,),
        "rnn.weight_ih" (3H, H + E), "rnn.weight_hh" (3H, H), "rnn.bias_ih" (3H,),
        "rnn.bias_hh" (3H,), "dense.weight" (V, H), "dense.bias" (V,).
    For t = 1 .. T:
        c_t, w_t = additive_attention(s_{t-1} as a (B, 1, H) query, enc_outputs, enc_outputs,
                                      enc_valid_len, W_q, W_k, w_v)
        x_t = cat([c_t, embedding[Y_in[:, t]]])      (B, H + E): the context FIRST
        s_t = gru_cell(x_t, s_{t-1}, weight_ih, weight_hh, bias_ih, bias_hh)
        logits_t = s_t @ dense.weight^T + dense.bias  (B, V)
    The query is the state BEFORE the step's update. The context has the encoder's hidden
    size H, not the embedding size E: the GRU's input has H + E features (the book's
    `2 * embed_size` is right only when E == H). Returns (logits (B, T, V): one prediction per
    step, new_state s_T (B, H), weights (B, T, S): row t holds w_t). A loop over the T steps
    is expected; everything inside a step works on the whole batch.
    """
    raise NotImplementedError("TODO: implement this function")
