#include "sequential-simd.h"

#include "isa.h"

namespace nns {
namespace portable {
#include "sequential-simd.inc"
}  // namespace portable
}  // namespace nns

#if NNS_X86_KERNELS
NNS_TARGET_BEGIN("avx2")
namespace nns {
namespace avx2 {
#include "sequential-simd.inc"
}  // namespace avx2
}  // namespace nns
NNS_TARGET_END
#endif

namespace nns {

static bool useAvx2() {
#if NNS_X86_KERNELS
  static const bool yes = activeIsa() != Isa::Portable;
  return yes;
#else
  return false;
#endif
}

#if NNS_X86_KERNELS
#define NNS_DISPATCH(call) return useAvx2() ? avx2::call : portable::call
#else
#define NNS_DISPATCH(call) return portable::call
#endif

void maxCell(const float* x, float* y, int32_t* idx, int base, int C) { NNS_DISPATCH(maxCell(x, y, idx, base, C)); }

}  // namespace nns
