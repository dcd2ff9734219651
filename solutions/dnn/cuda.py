"""Deep-learning operators on a CUDA GPU with numba.cuda.

* layernorm: one block per row. The block's threads stride through the row (thread t reads elements t,
  t + THREADS, ...: consecutive threads, consecutive addresses, so each warp's loads coalesce), each keeps a
  partial sum, and a tree reduction in shared memory combines the partials (log2(THREADS) steps, a barrier
  between steps). Two reductions (mean, then variance about the mean), then one pass writes y.
* layernorm_backward: dx the same way (one block per row, two reductions: sum(g) and sum(g * xhat)); dweight and
  dbias sum down the columns: a thread per (feature, chunk of rows), neighbouring threads reading neighbouring
  features of a row (coalesced), then the chunks' partial sums added per feature.
* attention: one thread per query, one block per (head, TILE queries). The block loads a tile of TILE keys and
  values into shared memory once, and every thread runs its query against it (online softmax: running maximum,
  running sum, accumulator rescaled when the maximum grows): K and V are read from device memory once per
  TILE queries instead of once per query, and the seq x seq scores never exist.
* conv2d: one thread per output element (implicit im2col: the thread walks its own column of the unfolded
  matrix without storing it); the block's output channel's weights sit in shared memory.

Device-resident entry points (arrays already on the GPU; the launch only, asynchronous):
``layernorm_device(x, weight, bias, eps, y, mean, rstd)``,
``layernorm_backward_device(dy, x, weight, mean, rstd, dx, dweight, dbias)``,
``attention_device(q, k, v, causal, out)``, ``conv2d_device(x, w, bias, stride, padding, out)``.
"""

import math

import numpy as np
from numba import config, cuda, float32

from .common import conv_output_size

if config.ENABLE_CUDASIM:
    THREADS, TILE, ROWS_PER_CHUNK = 8, 4, 2  # the simulator runs each thread in Python: tiny blocks, several
else:
    THREADS, TILE, ROWS_PER_CHUNK = 256, 64, 256
MAX_DIM = 256  # attention's head dimension: each thread's accumulator is a local array of this size
MAX_WEIGHTS = 4096  # conv2d: c_in * kh * kw of one output channel, staged in shared memory


@cuda.jit(device=True)
def _block_sum(partial, value):
    """The sum of ``value`` over the block's threads (every thread gets it): a tree in shared memory."""
    t = cuda.threadIdx.x
    partial[t] = value
    cuda.syncthreads()
    step = THREADS // 2
    while step > 0:
        if t < step:
            partial[t] += partial[t + step]
        cuda.syncthreads()
        step //= 2
    total = partial[0]
    cuda.syncthreads()  # everyone has read partial[0] before the next reduction overwrites it
    return total


@cuda.jit
def _layernorm_kernel(x, weight, bias, eps, y, mean, rstd):
    r = cuda.blockIdx.x
    t = cuda.threadIdx.x
    features = x.shape[1]
    partial = cuda.shared.array(THREADS, float32)
    total = float32(0.0)
    for j in range(t, features, THREADS):
        total += x[r, j]
    mu = _block_sum(partial, total) / float32(features)
    squares = float32(0.0)
    for j in range(t, features, THREADS):
        centred = x[r, j] - mu
        squares += centred * centred
    inverse = float32(1.0) / math.sqrt(_block_sum(partial, squares) / float32(features) + eps)
    for j in range(t, features, THREADS):
        y[r, j] = (x[r, j] - mu) * inverse * weight[j] + bias[j]
    if t == 0:
        mean[r] = mu
        rstd[r] = inverse


def layernorm_device(x, weight, bias, eps, y, mean, rstd):
    if x.shape[0]:
        _layernorm_kernel[x.shape[0], THREADS](x, weight, bias, np.float32(eps), y, mean, rstd)
    return y, mean, rstd


def layernorm(x, weight, bias, eps):
    """(y, mean, rstd) as in threaded.py: copy in, launch, copy out."""
    rows = x.shape[0]
    y, mean, rstd = (
        cuda.device_array_like(x),
        cuda.device_array(rows, np.float32),
        cuda.device_array(rows, np.float32),
    )
    layernorm_device(cuda.to_device(x), cuda.to_device(weight), cuda.to_device(bias), eps, y, mean, rstd)
    return y.copy_to_host(), mean.copy_to_host(), rstd.copy_to_host()


@cuda.jit
def _layernorm_dx_kernel(dy, x, weight, mean, rstd, dx):
    r = cuda.blockIdx.x
    t = cuda.threadIdx.x
    features = x.shape[1]
    partial = cuda.shared.array(THREADS, float32)
    mu, inverse = mean[r], rstd[r]
    sum_g = float32(0.0)
    sum_g_xhat = float32(0.0)
    for j in range(t, features, THREADS):
        g = dy[r, j] * weight[j]
        sum_g += g
        sum_g_xhat += g * (x[r, j] - mu) * inverse
    mean_g = _block_sum(partial, sum_g) / float32(features)
    mean_g_xhat = _block_sum(partial, sum_g_xhat) / float32(features)
    for j in range(t, features, THREADS):
        xhat = (x[r, j] - mu) * inverse
        dx[r, j] = inverse * (dy[r, j] * weight[j] - mean_g - xhat * mean_g_xhat)


@cuda.jit
def _layernorm_dparams_partial_kernel(dy, x, mean, rstd, rows_per_chunk, partial_dweight, partial_dbias):
    """Block (feature block, row chunk): each thread sums its feature over the chunk's rows (neighbouring threads
    read neighbouring features of a row: coalesced) into partial[chunk, feature]."""
    j = cuda.blockIdx.x * THREADS + cuda.threadIdx.x
    chunk = cuda.blockIdx.y
    if j < x.shape[1]:
        dw = float32(0.0)
        db = float32(0.0)
        for r in range(chunk * rows_per_chunk, min((chunk + 1) * rows_per_chunk, x.shape[0])):
            dw += dy[r, j] * (x[r, j] - mean[r]) * rstd[r]
            db += dy[r, j]
        partial_dweight[chunk, j] = dw
        partial_dbias[chunk, j] = db


@cuda.jit
def _sum_chunks_kernel(partial_dweight, partial_dbias, dweight, dbias):
    j = cuda.grid(1)
    if j < dweight.shape[0]:
        dw = float32(0.0)
        db = float32(0.0)
        for chunk in range(partial_dweight.shape[0]):
            dw += partial_dweight[chunk, j]
            db += partial_dbias[chunk, j]
        dweight[j] = dw
        dbias[j] = db


def layernorm_backward_device(dy, x, weight, mean, rstd, dx, dweight, dbias):
    """dx: one block a row. dweight and dbias sum down the columns in two steps: row chunks of ROWS_PER_CHUNK
    summed in parallel (enough blocks to fill the GPU), then the chunks' partial sums added per feature."""
    rows, features = x.shape
    if rows:
        _layernorm_dx_kernel[rows, THREADS](dy, x, weight, mean, rstd, dx)
    if features:
        chunks = max(1, (rows + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK)
        partial_dweight = cuda.device_array((chunks, features), np.float32)
        partial_dbias = cuda.device_array((chunks, features), np.float32)
        feature_blocks = (features + THREADS - 1) // THREADS
        _layernorm_dparams_partial_kernel[(feature_blocks, chunks), THREADS](
            dy, x, mean, rstd, ROWS_PER_CHUNK, partial_dweight, partial_dbias
        )
        _sum_chunks_kernel[feature_blocks, THREADS](partial_dweight, partial_dbias, dweight, dbias)
    return dx, dweight, dbias


def layernorm_backward(dy, x, weight, mean, rstd):
    features = x.shape[1]
    dx, dweight, dbias = (
        cuda.device_array_like(x),
        cuda.device_array(features, np.float32),
        cuda.device_array(features, np.float32),
    )
    layernorm_backward_device(*(cuda.to_device(a) for a in (dy, x, weight, mean, rstd)), dx, dweight, dbias)
    return dx.copy_to_host(), dweight.copy_to_host(), dbias.copy_to_host()


@cuda.jit
def _attention_kernel(q, k, v, causal, out):
    heads, seq, dim = q.shape
    blocks = (seq + TILE - 1) // TILE
    h = cuda.blockIdx.x // blocks
    q0 = (cuda.blockIdx.x % blocks) * TILE
    t = cuda.threadIdx.x
    i = q0 + t  # this thread's query (it may lie past the end: it still helps load tiles)
    keys = cuda.shared.array((TILE, MAX_DIM), float32)
    values = cuda.shared.array((TILE, MAX_DIM), float32)
    acc = cuda.local.array(MAX_DIM, float32)
    query = cuda.local.array(MAX_DIM, float32)
    scale = float32(1.0) / math.sqrt(float32(dim))
    for d in range(dim):
        acc[d] = 0.0
        query[d] = q[h, i, d] * scale if i < seq else float32(0.0)
    row_max = float32(-math.inf)
    row_sum = float32(0.0)
    key_end = min(seq, q0 + TILE) if causal else seq  # the block's last query sees no key after it
    for k0 in range(0, key_end, TILE):
        for d in range(dim):  # thread t loads key and value k0 + t of the tile
            if k0 + t < seq:
                keys[t, d] = k[h, k0 + t, d]
                values[t, d] = v[h, k0 + t, d]
        cuda.syncthreads()
        visible = min(TILE, key_end - k0)
        if causal:
            visible = min(visible, i - k0 + 1)
        if i < seq:
            for j in range(visible):
                s = float32(0.0)
                for d in range(dim):
                    s += query[d] * keys[j, d]
                new_max = max(row_max, s)
                rescale = math.exp(row_max - new_max)
                p = math.exp(s - new_max)
                row_sum = row_sum * rescale + p
                for d in range(dim):
                    acc[d] = acc[d] * rescale + p * values[j, d]
                row_max = new_max
        cuda.syncthreads()  # the tile is finished with before the next one overwrites it
    if i < seq:
        for d in range(dim):
            out[h, i, d] = acc[d] / row_sum


def attention_device(q, k, v, causal, out):
    heads, seq, dim = q.shape
    if dim > MAX_DIM:
        raise ValueError(f"attention: head dimension {dim} > {MAX_DIM}, this kernel's limit")
    if heads and seq:
        _attention_kernel[heads * ((seq + TILE - 1) // TILE), TILE](q, k, v, bool(causal), out)
    return out


def attention(q, k, v, causal):
    out = cuda.device_array_like(q)
    attention_device(cuda.to_device(q), cuda.to_device(k), cuda.to_device(v), causal, out)
    return out.copy_to_host()


@cuda.jit
def _conv_kernel(x, w, bias, stride, padding, out):
    n, c_out, h_out, w_out = out.shape
    c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    height, width = x.shape[2], x.shape[3]
    positions = h_out * w_out
    blocks = (positions + THREADS - 1) // THREADS
    image = cuda.blockIdx.x // (c_out * blocks)
    co = (cuda.blockIdx.x // blocks) % c_out
    position = (cuda.blockIdx.x % blocks) * THREADS + cuda.threadIdx.x
    taps = cuda.shared.array(MAX_WEIGHTS, float32)
    for index in range(cuda.threadIdx.x, c_in * kh * kw, THREADS):
        taps[index] = w[co, index // (kh * kw), (index // kw) % kh, index % kw]
    cuda.syncthreads()
    if position < positions:
        oy, ox = position // w_out, position % w_out
        acc = bias[co]
        for ci in range(c_in):
            for ky in range(kh):
                iy = oy * stride - padding + ky
                if 0 <= iy < height:
                    for kx in range(kw):
                        ix = ox * stride - padding + kx
                        if 0 <= ix < width:
                            acc += taps[(ci * kh + ky) * kw + kx] * x[image, ci, iy, ix]
        out[image, co, oy, ox] = acc


def conv2d_device(x, w, bias, stride, padding, out):
    n, c_out, h_out, w_out = out.shape
    if w.shape[1] * w.shape[2] * w.shape[3] > MAX_WEIGHTS:
        raise ValueError(f"conv2d: c_in * kh * kw > {MAX_WEIGHTS}, this kernel's limit")
    blocks = n * c_out * ((h_out * w_out + THREADS - 1) // THREADS)
    if blocks:
        _conv_kernel[blocks, THREADS](x, w, bias, int(stride), int(padding), out)
    return out


def conv2d(x, w, bias, stride, padding):
    n, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    out = cuda.device_array(
        (n, c_out, conv_output_size(height, kh, stride, padding), conv_output_size(width, kw, stride, padding)),
        dtype=np.float32,
    )
    conv2d_device(cuda.to_device(x), cuda.to_device(w), cuda.to_device(bias), stride, padding, out)
    return out.copy_to_host()
