// AVX-512 kernel: 12 rows x 32 columns (24 zmm accumulators, 2 for the B step, 1 broadcast of A).
// On Zen 4 a zmm FMA issues at one per cycle with a 4-cycle latency, so 24 independent chains keep
// the pipes full; a packed B panel of kc = 128 steps is 16 KB, half of L1.
#include "gemm-kernels.h"

#if NNS_X86_KERNELS
#include <immintrin.h>

namespace nns {
namespace {

constexpr int MR = 12, NR = 32;

template <int ROWS>
struct Kernel {
  __attribute__((target("avx512f,fma"))) static void run(const TileArgs& t) {
    long off[ROWS];  // kept in registers for the whole loop
    __m512 acc[ROWS][2];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) off[r] = t.rowOffset[r];
    if (t.accumulate) {
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        acc[r][0] = _mm512_loadu_ps(t.c + (size_t)r * t.ldc);
        acc[r][1] = _mm512_loadu_ps(t.c + (size_t)r * t.ldc + 16);
      }
    } else {
      const __m512 b0 = t.bias ? _mm512_loadu_ps(t.bias) : _mm512_setzero_ps();
      const __m512 b1 = t.bias ? _mm512_loadu_ps(t.bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) acc[r][0] = b0, acc[r][1] = b1;
    }
    const float* a = t.a;
    const float* b = t.b;
    for (int p = 0; p < t.kc; p++, a += t.aStep, b += t.bStep) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        const __m512 ar = _mm512_set1_ps(a[off[r]]);
        acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      _mm512_storeu_ps(t.c + (size_t)r * t.ldc, acc[r][0]);
      _mm512_storeu_ps(t.c + (size_t)r * t.ldc + 16, acc[r][1]);
    }
  }
};

}  // namespace

const KernelSet& avx512Kernels() {
  static const KernelSet set = kernelSet<Kernel>(MR, NR, 128, 240, 4096, std::make_integer_sequence<int, MR>());
  return set;
}

}  // namespace nns
#endif
