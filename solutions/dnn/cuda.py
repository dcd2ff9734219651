"""Deep-learning operators on a CUDA GPU with numba.cuda.

* layernorm: each row held in registers (``RowLayout``): a group of 32 * warps_per_row threads a row, each
  thread keeping its elements j = lane, lane + group, ... (coalesced loads) in a local array the compiler keeps
  in registers, so x is read once and y written once: 8 bytes an element, a copy's traffic. The mean and the
  squares about it are two reductions over the registers (warp shuffles, then the warps' sums through shared
  memory), so the variance is the two-pass one without a second read. Rows past MAX_REGISTER_FEATURES: one
  block a row, three passes over x, shared-memory tree reductions.
* layernorm_backward: dx with one block per row, two reductions (sum(g) and sum(g * xhat)); dweight and
  dbias sum down the columns: a thread per (feature, chunk of rows), neighbouring threads reading neighbouring
  features of a row (coalesced), then the chunks' partial sums added per feature.
* attention (``QueryTiling``): one thread per query, its scaled query and output accumulator in registers
  (the kernel is compiled for the head dimension rounded up to a power of two), a block of QUERY_BLOCK
  queries. The block stages a tile of keys and values in shared memory (coalesced, once per QUERY_BLOCK
  queries), every thread runs its query against it with an online softmax (running maximum and sum, the
  accumulator rescaled only when the maximum grows); causal blocks stop at their last query's key, and the
  longest blocks start first. The seq x seq scores never exist.
* conv2d (``ConvTiling``): an implicit GEMM, out[co, pixel] = sum over r = (ci, ky, kx) of w[co, r] *
  patch[r, pixel], the im2col matrix gathered tile by tile into shared memory and never stored whole; each
  thread accumulates a small block of outputs in registers.

Each kernel also has a simpler form (``layernorm_launch(..., None)``, ``attention_launch(..., None)``,
``conv2d_launch(..., None)``: a block a row, any head dim, a thread an output) that the sweep
(benchmarks/dnn_sweep.py) times beside every layout.

Device-resident entry points (arrays already on the GPU; the launch only, asynchronous):
``layernorm_device(x, weight, bias, eps, y, mean, rstd)``,
``layernorm_backward_device(dy, x, weight, mean, rstd, dx, dweight, dbias)``,
``attention_device(q, k, v, causal, out)``, ``conv2d_device(x, w, bias, stride, padding, out)``.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import config, cuda, float32, uint64

from .common import conv_output_size

if config.ENABLE_CUDASIM:
    THREADS, TILE, ROWS_PER_CHUNK = 8, 4, 2  # the simulator runs each thread in Python: tiny blocks, several
else:
    THREADS, TILE, ROWS_PER_CHUNK = 256, 64, 256
WARP = 32
FULL_MASK = 0xFFFFFFFF
# numba's simulator has no warp shuffles: there reductions go through shared memory (the same results).
WARP_SHUFFLES = not config.ENABLE_CUDASIM
# layernorm's register kernel by default: about TARGET_VALUES elements a thread, blocks of about BLOCK_THREADS.
# Measured on an H200 at 65536 x 1024 (benchmarks/layernorm_ladder.py): 16 a thread in 128-thread blocks 0.144 ms
# (0.90 of a device copy), 32 a thread in one-warp rows 0.150 ms; with signed indices (benchmarks/dnn_sweep.py)
# 16 a thread had beaten 8 and 32 at 1,024 and at 4,096 features.
BLOCK_THREADS = 64 if config.ENABLE_CUDASIM else 128
TARGET_VALUES = 16
MAX_WARPS_PER_ROW = 32  # a 1,024-thread block a row at most
# Rows longer than 16,384: the three-pass block kernel. A 1,024-thread block may use 64 registers a thread, and 16
# values a thread take 40 at 32 warps a row (ptxas, sm_90; 68 before the indices were unsigned).
MAX_VALUES_AT_FULL_BLOCK = 16
MAX_REGISTER_FEATURES = WARP * MAX_WARPS_PER_ROW * MAX_VALUES_AT_FULL_BLOCK
QUERY_BLOCK = 4 if config.ENABLE_CUDASIM else 128  # attention: queries (threads) a block
MAX_KEY_TILE = 4 if config.ENABLE_CUDASIM else 64  # attention: keys a shared-memory tile, at most
KV_TILE_FLOATS = 4096  # attention: K's tile and V's tile, 16 KiB each: four blocks fit an SM's shared memory
# Paired attention (QueryTiling.paired) up to this padded head dim: none by default. At 64 ptxas keeps both
# queries' halves in 255 registers (56 bytes spilled), and on an H200 (32 x 4096 x 64, causal) it ran 9.2 ms at
# 128 queries a block against 5.3 ms unpaired: its registers cost more warps in flight than its halved shared
# reads save. It stays as a candidate for benchmarks/dnn_sweep.py.
PAIRED_MAX_DIM = 0
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
def _layernorm_block_kernel(x, weight, bias, eps, y, mean, rstd):
    """The fallback for rows too long to hold in registers: one block a row, three passes over x (the sum,
    the squares about the mean, the output), a shared-memory tree reduction after each of the first two."""
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


@dataclass(frozen=True)
class RowLayout:
    """How the register-resident layernorm kernel maps rows onto threads: a row belongs to ``warps_per_row``
    warps (its *group*, 32 * warps_per_row threads), a block holds ``rows_per_block`` groups, and each thread
    keeps ``values_per_thread`` elements of its row in registers (element j of the row lives in thread
    j % group, slot j // group: neighbouring threads, neighbouring addresses, so every warp's loads coalesce)."""

    warps_per_row: int
    rows_per_block: int
    values_per_thread: int

    @property
    def group(self) -> int:
        return WARP * self.warps_per_row

    @property
    def threads(self) -> int:
        return self.group * self.rows_per_block

    def holds(self, features: int) -> bool:
        return features <= self.group * self.values_per_thread


def _next_power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def row_layout(features: int, warps_per_row: int | None = None, rows_per_block: int | None = None) -> RowLayout:
    """The layout for rows of ``features`` elements (None: the default). The default follows Triton's layernorm
    tutorial: about TARGET_VALUES elements a thread (few registers, so many warps fit an SM and many loads are
    in flight), up to MAX_WARPS_PER_ROW warps a row, blocks of about BLOCK_THREADS threads. values_per_thread
    is a power of two, so a handful of compiled kernels covers every feature count."""
    if warps_per_row is None:
        warps_per_row = min(MAX_WARPS_PER_ROW, _next_power_of_two(-(-features // (WARP * TARGET_VALUES))))
    if rows_per_block is None:
        rows_per_block = max(1, BLOCK_THREADS // (WARP * warps_per_row))
    values = _next_power_of_two(-(-features // (WARP * warps_per_row)))
    return RowLayout(warps_per_row, rows_per_block, values)


@cuda.jit(device=True, inline=True)
def _warp_sum(value):
    """The sum of ``value`` over the 32 lanes of the warp, in every lane: a butterfly of shfl_xor_sync."""
    offset = WARP // 2
    while offset > 0:
        value += cuda.shfl_xor_sync(FULL_MASK, value, offset)
        offset //= 2
    return value


@functools.cache
def _layernorm_rows_kernel(layout: RowLayout):
    """The register-resident kernel for one layout (compiled once per layout): ONE read of x and one write of
    y, 8 bytes of traffic an element, the least layernorm can move. The statistics are two reductions over the
    registers (the mean, then the squares about it: the two-pass variance, without the one-pass cancellation,
    and without reading x again); each reduction is a warp butterfly (shfl_xor_sync, 5 steps, no shared memory)
    and, for a row of several warps, one exchange of the warps' sums in shared memory (two barriers).

    Two things keep the registers few, which is what lets enough warps share an SM to keep the memory busy:
    indices are unsigned (numba wraps a negative signed index around, a test and a select an access that
    also keeps each address in registers of its own: 148 registers for a 32-value copy through registers,
    85 unsigned, by ptxas for sm_90), and a row that fills the layout exactly (``full``, e.g. 1,024 features
    in 64 threads of 16) loads and stores with no bounds test, at constant offsets from one address."""
    group, rows_per_block, values_per_thread = layout.group, layout.rows_per_block, layout.values_per_thread
    warps_per_row = layout.warps_per_row
    threads = layout.threads
    held_features = group * values_per_thread

    @cuda.jit(device=True, inline=True)
    def row_sum(value, scratch, t):
        """The sum of ``value`` over the thread's group; every thread of the block must call it."""
        if WARP_SHUFFLES:
            value = _warp_sum(value)
            if warps_per_row == 1:
                return value
            if t % uint64(WARP) == 0:
                scratch[t // uint64(WARP)] = value
            cuda.syncthreads()
            first = (t // uint64(group)) * uint64(warps_per_row)
            total = float32(0.0)
            for w in range(warps_per_row):
                total += scratch[first + uint64(w)]
        else:  # the simulator: every thread's value through shared memory, each thread adds its group's
            scratch[t] = value
            cuda.syncthreads()
            first = (t // uint64(group)) * uint64(group)
            total = float32(0.0)
            for w in range(group):
                total += scratch[first + uint64(w)]
        cuda.syncthreads()  # everyone has read scratch before the next reduction overwrites it
        return total

    @cuda.jit
    def kernel(x, weight, bias, eps, y, mean, rstd):
        rows, features = uint64(x.shape[0]), uint64(x.shape[1])
        t = uint64(cuda.threadIdx.x)
        lane = t % uint64(group)
        r = uint64(cuda.blockIdx.x) * uint64(rows_per_block) + t // uint64(group)
        live = r < rows  # a group past the last row still joins the block's barriers
        full = features == uint64(held_features)
        scratch = cuda.shared.array(threads, float32)
        held = cuda.local.array(values_per_thread, float32)
        for slot in range(values_per_thread):
            held[slot] = float32(0.0)
        if live and full:
            for slot in range(values_per_thread):
                held[slot] = x[r, lane + uint64(slot * group)]
        elif live:
            for slot in range(values_per_thread):
                j = lane + uint64(slot * group)
                if j < features:
                    held[slot] = x[r, j]
        total = float32(0.0)
        for slot in range(values_per_thread):
            total += held[slot]
        mu = row_sum(total, scratch, t) / float32(features)
        squares = float32(0.0)
        for slot in range(values_per_thread):
            if full or lane + uint64(slot * group) < features:
                centred = held[slot] - mu
                squares += centred * centred
        inverse = float32(1.0) / math.sqrt(row_sum(squares, scratch, t) / float32(features) + eps)
        if live and full:
            for slot in range(values_per_thread):
                j = lane + uint64(slot * group)
                y[r, j] = (held[slot] - mu) * inverse * weight[j] + bias[j]
        elif live:
            for slot in range(values_per_thread):
                j = lane + uint64(slot * group)
                if j < features:
                    y[r, j] = (held[slot] - mu) * inverse * weight[j] + bias[j]
        if live and lane == 0:
            mean[r] = mu
            rstd[r] = inverse

    return kernel


def layernorm_launch(x, weight, bias, eps, y, mean, rstd, layout: RowLayout | None):
    """Launches one layout's kernel (None: the three-pass block kernel), for the sweep to compare layouts."""
    rows, features = x.shape
    if not rows:
        return
    if layout is None:
        _layernorm_block_kernel[rows, THREADS](x, weight, bias, np.float32(eps), y, mean, rstd)
        return
    if not layout.holds(features):
        raise ValueError(f"layernorm: {features} features do not fit {layout}")
    blocks = -(-rows // layout.rows_per_block)
    _layernorm_rows_kernel(layout)[blocks, layout.threads](x, weight, bias, np.float32(eps), y, mean, rstd)


def layernorm_device(x, weight, bias, eps, y, mean, rstd):
    """Rows of up to MAX_REGISTER_FEATURES elements: the register-resident kernel in the default layout;
    longer rows: the three-pass block kernel."""
    features = x.shape[1]
    layout = row_layout(features) if features <= MAX_REGISTER_FEATURES else None
    layernorm_launch(x, weight, bias, eps, y, mean, rstd, layout)
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
    """The generic form (``attention_launch(..., None)``), any head dim up to MAX_DIM: one thread a query, a
    block of TILE. Its query and accumulator are indexed by the run-time dim, so they live in local memory (an
    L1-cached stack), not registers, and every key costs two exponentials: the sweep's baseline."""
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


@dataclass(frozen=True)
class QueryTiling:
    """The register-resident attention kernel's shape: a block of ``queries`` threads, one query each, walks
    the keys ``keys`` at a time (a tile of K and V staged in shared memory by all the block's threads, coalesced,
    then read by every thread: broadcasts, no bank conflicts). ``dim`` is the head dimension the kernel is
    compiled for (the real one rounded up to a power of two; the padding is zeros): the thread's query and
    accumulator are local arrays of that constant size, which the compiler keeps in registers."""

    queries: int
    keys: int
    dim: int
    # Paired: two neighbouring threads share two queries, each thread holding every other dimension of both
    # (the two threads' shared reads fall in neighbouring banks). A key read from shared memory then feeds two
    # queries: 4 flops a shared read instead of 2, for the same registers (2 queries x dim / 2), at the cost of
    # one shuffle a score and of walking each diagonal tile whole (masked) so the pair's shuffles stay in step.
    paired: bool = False


def query_tiling(
    dim: int, queries: int | None = None, keys: int | None = None, paired: bool | None = None
) -> QueryTiling:
    """The tiling for a head dimension (None: the default: QUERY_BLOCK queries a block, as many keys a tile as
    keep K's and V's tiles within KV_TILE_FLOATS floats of shared memory, paired up to PAIRED_MAX_DIM)."""
    padded = max(WARP // 4, _next_power_of_two(dim))
    if paired is None:
        paired = padded <= PAIRED_MAX_DIM
    if queries is None:
        queries = QUERY_BLOCK
    if keys is None:
        keys = max(1, min(MAX_KEY_TILE, KV_TILE_FLOATS // padded))
    return QueryTiling(queries, keys, padded, paired)


@functools.cache
def _attention_pairs_kernel(tiling: QueryTiling):
    """Two threads a pair of queries (``QueryTiling.paired``): thread 2p + half holds dimensions half, half + 2,
    ... of queries 2p and 2p + 1 (scaled) and of their accumulators; each score is the two halves' partial dot
    products added across the pair (shfl_xor_sync; on the simulator through shared memory). Every thread walks
    every key of the block's tiles (a masked key adds nothing), so the pair exchanges in step."""
    if tiling.queries % (WARP if WARP_SHUFFLES else 2):  # whole warps: the shuffles name every lane
        raise ValueError(f"attention: {tiling} pairs queries with warp shuffles: whole warps of queries a block")
    block_queries, tile_keys, dim_padded = tiling.queries, tiling.keys, tiling.dim
    half_dim = dim_padded // 2

    @cuda.jit(device=True, inline=True)
    def pair_sum(value, exchange):
        """value plus the pair partner's value; every thread of the block must call it."""
        t = cuda.threadIdx.x
        if WARP_SHUFFLES:
            return value + cuda.shfl_xor_sync(FULL_MASK, value, 1)
        exchange[t] = value
        cuda.syncthreads()
        total = exchange[t] + exchange[t ^ 1]
        cuda.syncthreads()
        return total

    @cuda.jit
    def kernel(q, k, v, causal, out):
        heads, seq, dim = q.shape
        blocks = (seq + block_queries - 1) // block_queries
        h = cuda.blockIdx.x // blocks
        q0 = (blocks - 1 - cuda.blockIdx.x % blocks) * block_queries
        t = cuda.threadIdx.x
        half = t % 2
        i0 = q0 + t - half  # the pair's queries: i0 and i0 + 1
        keys = cuda.shared.array((tile_keys, dim_padded), float32)
        values = cuda.shared.array((tile_keys, dim_padded), float32)
        exchange = cuda.shared.array(block_queries, float32)
        query = cuda.local.array((2, half_dim), float32)
        acc = cuda.local.array((2, half_dim), float32)
        row_max = cuda.local.array(2, float32)
        row_sum = cuda.local.array(2, float32)
        scale = float32(1.0) / math.sqrt(float32(dim))
        for a in range(2):
            row_max[a] = float32(-math.inf)
            row_sum[a] = float32(0.0)
            for m in range(half_dim):
                d = 2 * m + half
                acc[a, m] = float32(0.0)
                query[a, m] = float32(0.0)
                if i0 + a < seq and d < dim:
                    query[a, m] = q[h, i0 + a, d] * scale
        key_end = min(seq, q0 + block_queries) if causal else seq
        for k0 in range(0, key_end, tile_keys):
            for index in range(t, tile_keys * dim_padded, block_queries):
                j, d = index // dim_padded, index % dim_padded
                key_value = float32(0.0)
                value_value = float32(0.0)
                if k0 + j < seq and d < dim:
                    key_value = k[h, k0 + j, d]
                    value_value = v[h, k0 + j, d]
                keys[j, d] = key_value
                values[j, d] = value_value
            cuda.syncthreads()
            for j in range(min(tile_keys, key_end - k0)):  # the same count for every thread of the block
                s0 = float32(0.0)
                s1 = float32(0.0)
                for m in range(half_dim):
                    key_value = keys[j, 2 * m + half]
                    s0 += query[0, m] * key_value
                    s1 += query[1, m] * key_value
                s0 = pair_sum(s0, exchange)
                s1 = pair_sum(s1, exchange)
                for a in range(2):
                    s = s0 if a == 0 else s1
                    if not causal or k0 + j <= i0 + a:
                        if s > row_max[a]:
                            rescale = math.exp(row_max[a] - s)
                            row_sum[a] *= rescale
                            for m in range(half_dim):
                                acc[a, m] *= rescale
                            row_max[a] = s
                        weight = math.exp(s - row_max[a])
                        row_sum[a] += weight
                        for m in range(half_dim):
                            acc[a, m] += weight * values[j, 2 * m + half]
            cuda.syncthreads()
        for a in range(2):
            if i0 + a < seq:
                inverse = float32(1.0) / row_sum[a]
                for m in range(half_dim):
                    d = 2 * m + half
                    if d < dim:
                        out[h, i0 + a, d] = acc[a, m] * inverse

    return kernel


@functools.cache
def _attention_rows_kernel(tiling: QueryTiling):
    """One thread a query, its query and output row in registers. Per key: one score (``dim`` multiply-adds
    against the shared tile, the same address for every thread: a broadcast), the online softmax (the
    accumulator rescaled only when the running maximum grows), ``dim`` multiply-adds into the accumulator:
    2 * dim flops for each shared-memory read of a key or value pair. The blocks holding the latest queries
    (the most keys under a causal mask) are launched first, so the last wave is made of short blocks."""
    block_queries, tile_keys, dim_padded = tiling.queries, tiling.keys, tiling.dim
    partials = 4 if dim_padded >= 4 else 1  # independent sums per score: a shorter chain of dependent adds

    @cuda.jit
    def kernel(q, k, v, causal, out):
        heads, seq, dim = q.shape
        blocks = (seq + block_queries - 1) // block_queries
        h = cuda.blockIdx.x // blocks
        q0 = (blocks - 1 - cuda.blockIdx.x % blocks) * block_queries
        t = cuda.threadIdx.x
        i = q0 + t
        keys = cuda.shared.array((tile_keys, dim_padded), float32)
        values = cuda.shared.array((tile_keys, dim_padded), float32)
        query = cuda.local.array(dim_padded, float32)
        acc = cuda.local.array(dim_padded, float32)
        sums = cuda.local.array(partials, float32)
        scale = float32(1.0) / math.sqrt(float32(dim))
        for d in range(dim_padded):
            acc[d] = float32(0.0)
            query[d] = float32(0.0)
            if i < seq and d < dim:
                query[d] = q[h, i, d] * scale
        row_max = float32(-math.inf)
        row_sum = float32(0.0)
        key_end = min(seq, q0 + block_queries) if causal else seq
        for k0 in range(0, key_end, tile_keys):
            for index in range(t, tile_keys * dim_padded, block_queries):  # coalesced: d runs fastest
                j, d = index // dim_padded, index % dim_padded
                key_value = float32(0.0)
                value_value = float32(0.0)
                if k0 + j < seq and d < dim:
                    key_value = k[h, k0 + j, d]
                    value_value = v[h, k0 + j, d]
                keys[j, d] = key_value
                values[j, d] = value_value
            cuda.syncthreads()
            visible = min(tile_keys, key_end - k0)
            if causal:
                visible = min(visible, i - k0 + 1)
            if i < seq:
                for j in range(visible):
                    for p in range(partials):
                        sums[p] = float32(0.0)
                    for d in range(0, dim_padded, partials):
                        for p in range(partials):
                            sums[p] += query[d + p] * keys[j, d + p]
                    s = float32(0.0)
                    for p in range(partials):
                        s += sums[p]
                    if s > row_max:  # rare after the first keys: rescale what was summed under the old maximum
                        rescale = math.exp(row_max - s)
                        row_sum *= rescale
                        for d in range(dim_padded):
                            acc[d] *= rescale
                        row_max = s
                    weight = math.exp(s - row_max)
                    row_sum += weight
                    for d in range(dim_padded):
                        acc[d] += weight * values[j, d]
            cuda.syncthreads()  # the tile is finished with before the next one overwrites it
        if i < seq:
            inverse = float32(1.0) / row_sum
            for d in range(dim_padded):  # constant bounds (not dim): acc stays in registers
                if d < dim:
                    out[h, i, d] = acc[d] * inverse

    return kernel


def attention_launch(q, k, v, causal, out, tiling: QueryTiling | None):
    """Launches one tiling's kernel (None: the generic one-thread-a-query kernel, any dim up to MAX_DIM)."""
    heads, seq, dim = q.shape
    if dim > MAX_DIM:
        raise ValueError(f"attention: head dimension {dim} > {MAX_DIM}, this kernel's limit")
    if not (heads and seq):
        return
    if tiling is None:
        _attention_kernel[heads * ((seq + TILE - 1) // TILE), TILE](q, k, v, bool(causal), out)
        return
    if tiling.dim < dim:
        raise ValueError(f"attention: head dimension {dim} does not fit {tiling}")
    blocks = heads * ((seq + tiling.queries - 1) // tiling.queries)
    kernel = _attention_pairs_kernel(tiling) if tiling.paired else _attention_rows_kernel(tiling)
    kernel[blocks, tiling.queries](q, k, v, bool(causal), out)


def attention_device(q, k, v, causal, out):
    attention_launch(q, k, v, causal, out, query_tiling(q.shape[2]))
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


@dataclass(frozen=True)
class ConvTiling:
    """The implicit-GEMM convolution's tiles. The convolution is the matrix product out[co, pixel] =
    sum_r w[co, r] * patch[r, pixel] (r runs over c_in * kh * kw; pixel over n * h_out * w_out), with the
    im2col matrix ``patch`` never stored: a block computes a ``channels`` x ``pixels`` tile of out, walking r
    ``depth`` at a time; for each step its threads stage a depth x channels tile of w and a depth x pixels tile
    of patches (gathered from x, zero outside the image) in shared memory, then each thread multiplies out its
    own (channels / rows) x (pixels / columns) outputs from there, in registers."""

    channels: int
    pixels: int
    depth: int
    rows: int  # threads along channels
    columns: int  # threads along pixels

    @property
    def threads(self) -> int:
        return self.rows * self.columns

    def check(self) -> None:
        """The staging loops assume each thread gathers one pixel and one weight row position throughout."""
        threads = self.threads
        if (
            self.channels % self.rows
            or self.pixels % self.columns
            or threads % self.pixels
            or (self.depth * self.pixels) % threads
            or threads % self.depth
            or (self.depth * self.channels) % threads
        ):
            raise ValueError(f"conv2d: {self} does not divide evenly among its threads")


if config.ENABLE_CUDASIM:
    CONV_TILING = ConvTiling(channels=8, pixels=8, depth=4, rows=4, columns=4)
else:
    # On an H200 (benchmarks/dnn_sweep.py) 128 pixels x 8 deep beat 64 x 16 at every shape: 5.3 ms against
    # 6.9 ms at 32 x 128 x 56 x 56, 3x3 (torch, TF32 off: 0.84 ms).
    CONV_TILING = ConvTiling(channels=64, pixels=128, depth=8, rows=16, columns=16)


@functools.cache
def _conv_tiled_kernel(tiling: ConvTiling):
    """Per depth step a thread loads depth * pixels / threads patch values and depth * channels / threads
    weights, then does depth * (channels / rows) * (pixels / columns) multiply-adds from shared memory
    (4 x 4 outputs a thread: 16 multiply-adds for 8 shared reads, where one output a thread reads 2 per
    multiply-add)."""
    tiling.check()
    block_channels, block_pixels, depth = tiling.channels, tiling.pixels, tiling.depth
    rows, columns, threads = tiling.rows, tiling.columns, tiling.threads
    per_channels, per_pixels = block_channels // rows, block_pixels // columns
    patch_loads, weight_loads = depth * block_pixels // threads, depth * block_channels // threads
    patch_step, weight_step = threads // block_pixels, threads // depth
    weight_columns = block_channels + 1  # a constant, so that the shared array's shape is known at compile time

    @cuda.jit
    def kernel(x, w, bias, stride, padding, out):
        n, c_out, h_out, w_out = out.shape
        c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
        height, width = x.shape[2], x.shape[3]
        positions = h_out * w_out
        reduction = c_in * kh * kw
        pixel_count = n * positions
        t = cuda.threadIdx.x
        ty, tx = t // columns, t % columns
        co0 = cuda.blockIdx.y * block_channels
        p0 = cuda.blockIdx.x * block_pixels
        patches = cuda.shared.array((depth, block_pixels), float32)
        # One column of padding: the threads staging a weight tile hold neighbouring r of one channel, so rows
        # of block_channels (a multiple of 32) floats would put all their stores in one bank.
        weights = cuda.shared.array((depth, weight_columns), float32)
        acc = cuda.local.array((per_channels, per_pixels), float32)
        for a in range(per_channels):
            for b in range(per_pixels):
                acc[a, b] = float32(0.0)
        # The pixel this thread gathers for the patch tile, fixed for the whole walk over r.
        gather_pixel = p0 + t % block_pixels
        gather_live = gather_pixel < pixel_count
        image = gather_pixel // positions
        position = gather_pixel % positions
        iy0 = (position // w_out) * stride - padding
        ix0 = (position % w_out) * stride - padding
        gather_row = t // block_pixels
        weight_channel = co0 + t // depth
        weight_r = t % depth
        for r0 in range(0, reduction, depth):
            for m in range(patch_loads):
                r_local = gather_row + m * patch_step
                r = r0 + r_local
                value = float32(0.0)
                if gather_live and r < reduction:
                    ci = r // (kh * kw)
                    iy = iy0 + (r // kw) % kh
                    ix = ix0 + r % kw
                    if 0 <= iy < height and 0 <= ix < width:
                        value = x[image, ci, iy, ix]
                patches[r_local, t % block_pixels] = value
            for m in range(weight_loads):
                channel = weight_channel + m * weight_step
                r = r0 + weight_r
                value = float32(0.0)
                if channel < c_out and r < reduction:
                    value = w[channel, r // (kh * kw), (r // kw) % kh, r % kw]
                weights[weight_r, channel - co0] = value
            cuda.syncthreads()
            for k in range(depth):
                for a in range(per_channels):
                    weight = weights[k, ty + a * rows]
                    for b in range(per_pixels):
                        acc[a, b] += weight * patches[k, tx + b * columns]
            cuda.syncthreads()
        for a in range(per_channels):
            co = co0 + ty + a * rows
            if co < c_out:
                for b in range(per_pixels):
                    p = p0 + tx + b * columns
                    if p < pixel_count:
                        pos = p % positions
                        out[p // positions, co, pos // w_out, pos % w_out] = acc[a, b] + bias[co]

    return kernel


def conv2d_launch(x, w, bias, stride, padding, out, tiling: ConvTiling | None):
    """Launches one tiling's implicit-GEMM kernel (None: the one-thread-an-output kernel)."""
    n, c_out, h_out, w_out = out.shape
    if tiling is None:
        if w.shape[1] * w.shape[2] * w.shape[3] > MAX_WEIGHTS:
            raise ValueError(f"conv2d: c_in * kh * kw > {MAX_WEIGHTS}, this kernel's limit")
        blocks = n * c_out * ((h_out * w_out + THREADS - 1) // THREADS)
        if blocks:
            _conv_kernel[blocks, THREADS](x, w, bias, int(stride), int(padding), out)
        return
    pixel_blocks = -(-(n * h_out * w_out) // tiling.pixels)
    channel_blocks = -(-c_out // tiling.channels)
    if pixel_blocks and channel_blocks:
        _conv_tiled_kernel(tiling)[(pixel_blocks, channel_blocks), tiling.threads](
            x, w, bias, int(stride), int(padding), out
        )


def conv2d_device(x, w, bias, stride, padding, out):
    conv2d_launch(x, w, bias, stride, padding, out, CONV_TILING)
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
