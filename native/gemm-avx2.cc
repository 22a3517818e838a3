// AVX2 kernel: 6 rows x 16 columns (12 ymm accumulators, 2 for the B step, 1 broadcast of A): two
// FMA pipes with a 4-cycle latency need at least 8 independent chains, and 16 registers allow 12.
// Sums up to 1024 deep in one block, for the reason given in gemm-avx512.cc.
#include "gemm-kernels.h"

#if NNS_X86_KERNELS
#include <immintrin.h>

// The tile and its vector operations, compiled for AVX2 and FMA:
NNS_TARGET_BEGIN("avx2,fma")

#include "gemm-simd-tile.h"

namespace nns {
namespace {

struct Avx2 {
  using V = __m256;
  static constexpr int LANES = 8;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V zero() { return _mm256_setzero_ps(); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace
}  // namespace nns

// The table below is plain code (built on any CPU); its kernels only run where the CPU has them.
NNS_TARGET_END

namespace nns {

const KernelSet& avx2Kernels() {
  static constexpr KernelSet set = SimdKernels<Avx2>::set<6>(1024, 240, 4096);
  return set;
}

}  // namespace nns

#endif
